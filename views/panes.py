"""The sidebar's panes, in order. Panes are built the first time they are shown."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.core import AppCore


@dataclass(frozen=True)
class PaneInfo:
    key: str
    title: str
    tooltip: str

    @property
    def module(self) -> str:
        return f"views.{self.key}"

    def factory(self) -> Callable[[AppCore], QWidget]:
        return importlib.import_module(self.module).create_pane


PANES: tuple[PaneInfo, ...] = (
    PaneInfo("datasets", "Datasets", "Import, inspect, clean and split datasets"),
    PaneInfo("labeling", "Labeling", "Label text and images, draw boxes, export labels"),
    PaneInfo("builder", "Builder", "Compose a network from layers and export it as PyTorch"),
    PaneInfo("jobs", "Jobs", "Configure, queue and watch training runs"),
    PaneInfo("models", "Models", "Base and trained models, model cards, playground, export"),
    PaneInfo("hardware", "Hardware", "Live GPU, CPU, memory and disk"),
    PaneInfo("settings", "Settings", "Appearance, notifications, accounts and data"),
)

PANE_KEYS = tuple(p.key for p in PANES)


def pane_info(key: str) -> PaneInfo:
    for info in PANES:
        if info.key == key:
            return info
    raise KeyError(key)

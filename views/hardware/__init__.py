"""The Hardware pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.hardware.pane import HardwarePane


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    return HardwarePane(core, parent)


__all__ = ["HardwarePane", "create_pane"]

"""The Builder pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    from views.builder.pane import BuilderPane

    return BuilderPane(core, parent)

"""The Models pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.widgets.pane_frame import EmptyState, PaneFrame


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    frame = PaneFrame(
        "Models",
        "Base and trained models with lineage, model cards, comparison and a playground.",
        parent,
    )
    frame.body.addWidget(EmptyState("No models yet", "Trained models will appear here."))
    return frame

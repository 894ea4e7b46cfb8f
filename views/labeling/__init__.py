"""The Labeling pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.widgets.pane_frame import EmptyState, PaneFrame


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    frame = PaneFrame(
        "Labeling",
        "Classify text and images and draw bounding boxes, driven from the keyboard.",
        parent,
    )
    frame.body.addWidget(
        EmptyState(
            "Nothing to label yet", "Labeling is on its way; labels become a new dataset version."
        )
    )
    return frame

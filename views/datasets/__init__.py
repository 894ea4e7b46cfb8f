"""The Datasets pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.widgets.pane_frame import EmptyState, PaneFrame


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    frame = PaneFrame(
        "Datasets",
        "Import CSV, JSON, Parquet, text and image folders as immutable, checksummed versions.",
        parent,
    )
    frame.body.addWidget(
        EmptyState(
            "No datasets yet",
            "Dataset import is on its way: soon you will drop files here to import them.",
        )
    )
    return frame

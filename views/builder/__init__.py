"""The Builder pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.widgets.pane_frame import EmptyState, PaneFrame


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    frame = PaneFrame(
        "Builder",
        "Compose a network from layers, watch shapes and parameter counts, export PyTorch code.",
        parent,
    )
    frame.body.addWidget(EmptyState("No networks yet", "The network builder is on its way."))
    return frame

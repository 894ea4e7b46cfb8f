"""The Hardware pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.widgets.pane_frame import EmptyState, PaneFrame


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    frame = PaneFrame(
        "Hardware", "Live GPUs, CPU, memory and disk, and which job uses which GPU.", parent
    )
    frame.body.addWidget(
        EmptyState("Hardware monitoring", "Live GPU and system readings are on their way.")
    )
    return frame

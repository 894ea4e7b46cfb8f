"""The Jobs pane."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.widgets.pane_frame import EmptyState, PaneFrame


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    frame = PaneFrame(
        "Jobs", "Configure training runs, queue them on your GPUs and watch them live.", parent
    )
    frame.body.addWidget(
        EmptyState("No jobs yet", "The job wizard, the queue and live curves are on their way.")
    )
    return frame

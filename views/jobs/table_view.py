"""The jobs table's view: progress drawn as a bar, and queued jobs dragged into a new order."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QTableView,
)

from app.jobs.states import JobStatus
from app.jobs.store import Job
from views.jobs.models import JobRole


class JobTableView(QTableView):
    """Queued jobs are dragged to a new place in the queue."""

    moved = Signal(str, object)
    """The dragged job's id and the id of the job it now comes before (None: last)."""

    def __init__(self) -> None:
        super().__init__()
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def _job_at(self, index: QModelIndex) -> Job | None:
        return index.data(JobRole) if index.isValid() else None

    def dragMoveEvent(self, event) -> None:
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        dragged = self._job_at(self.currentIndex())
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the model is not asked to move rows
        event.accept()
        if dragged is None or dragged.status != JobStatus.QUEUED:
            return
        target = self._job_at(self.indexAt(event.position().toPoint()))
        self.moved.emit(dragged.id, target.id if target is not None else None)

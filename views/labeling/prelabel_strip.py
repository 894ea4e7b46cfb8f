"""The row that shows a pre-labeling run: what it does, how far it is, and Cancel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.labeling.prelabel import PrelabelResult, prelabel
from app.labeling.service import LabelingService
from app.labeling.store import Project
from app.models.store import ModelRecord
from app.tasks import LONG, Progress, TaskHandle, run_task
from views.crash_dialog import show_user_error


class PrelabelStrip(QWidget):
    finished = Signal(int, object, str)  # object: a dict signal would make the keys strings
    """(project id, its suggestions now, what happened), when a run ends with suggestions."""
    ended = Signal()
    """However it ended (an error or a cancel too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.handle: TaskHandle | None = None
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setObjectName("prelabel-progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    @property
    def running(self) -> bool:
        return self.handle is not None

    def start(self, labeling: LabelingService, project: Project, model: ModelRecord) -> None:
        if self.handle is not None:
            return
        self.label.setText(f"Pre-labeling {project.name} with {model.name}")
        self.bar.setRange(0, 0)  # busy until the model is loaded and the first chunk is in
        self.show()

        def run(state: Any) -> tuple[PrelabelResult, dict]:
            result = prelabel(labeling, project, model, state)
            return result, labeling.suggestions(project)

        def done(found: tuple[PrelabelResult, dict]) -> None:
            result, suggestions = found
            text = f"{result.suggested:,} suggestions from {model.name} for {project.name}"
            if result.unmatched:
                text += f"; {result.unmatched:,} predictions of classes the project lacks"
            if result.cancelled:
                text += " (cancelled: the suggestions made so far are kept)"
            self.finished.emit(project.id, suggestions, text)

        self.handle = run_task(
            run,
            on_done=done,
            on_progress=self._progress,
            on_error=lambda error, _t: show_user_error(self, error, "Cannot pre-label"),
            on_finished=self._ended,
            context=self,
            kind=LONG,
        )

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.label.setText("Stopping after this chunk…")

    def _progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, int(progress.total))
            self.bar.setValue(int(progress.done))
            self.bar.setFormat(f"{int(progress.done):,} of {int(progress.total):,}")

    def _ended(self) -> None:
        self.handle = None
        self.hide()
        self.ended.emit()

"""One engine task (a merge, a download) shown under the toolbar while it runs: what it
does, how far it is, and Cancel. The pane keeps working meanwhile."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.models.engine_task import EngineTask
from app.units import human_bytes


class TaskRow(QWidget):
    def __init__(
        self, task: EngineTask, title: str, *, in_bytes: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.task, self.title, self.in_bytes = task, title, in_bytes
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(f"{title}…")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first progress event
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(f"Stop: {title}")
        self.cancel_button.clicked.connect(task.cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        task.progress.connect(self._on_progress)

    def _on_progress(self, phase: str, done: int, total: int) -> None:
        if self.in_bytes:
            # QProgressBar holds an int: a share in thousandths, whatever the size.
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(1000 * done / total) if total else 0)
            self.bar.setFormat(f"{human_bytes(done)} of {human_bytes(total)}")
            self.label.setText(self.title)
        else:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.label.setText(f"{self.title}: {phase}")

"""The strip under the Datasets tool bar: what long work runs now, its progress, Cancel;
and the runner of that work, one action at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from app.tasks import LONG, Progress, TaskHandle, TaskState, run_task
from views.crash_dialog import show_user_error


def local_paths(mime) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class TaskStrip(QWidget):
    """What runs now: a message, a progress bar by bytes or rows, and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("task-strip")
        self.message = QLabel()
        # A long file name must not make the window wider.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(320)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def start(self, message: str) -> None:
        self.message.setText(message)
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()

    def progress(self, progress: Progress, prefix: str = "") -> None:
        fraction = progress.fraction
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
        if progress.message:
            self.message.setText(f"{prefix}{progress.message}")


class LongWork(QObject):
    """Runs one long dataset action at a time in the long pool, the strip showing its
    progress and Cancel; `ended(success)` follows every ending, a bug's included."""

    ended = Signal(bool)

    def __init__(self, strip: TaskStrip, notifications: Any, parent: QObject) -> None:
        super().__init__(parent)
        self._strip, self._notifications = strip, notifications
        self._task: TaskHandle | None = None
        strip.cancel_button.clicked.connect(self.cancel)

    def window(self) -> QWidget:
        """Where its messages open (window-modal)."""
        return self._strip.window()

    @property
    def busy(self) -> bool:
        return self._task is not None

    def run(
        self,
        message: str,
        work: Callable[[TaskState], Any],
        on_done: Callable[[Any], None],
        prefix: str = "",
        on_failed: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """`on_failed` may handle a known error itself (True); else it is shown."""
        self._strip.start(message)

        def finish(success: bool) -> None:
            if self._task is not handle:
                return  # already finished by its done, error or cancel callback
            self._task = None
            self._strip.hide()
            self.ended.emit(success)

        def done(result: Any) -> None:
            finish(True)
            on_done(result)

        def failed(error: BaseException, _text: str) -> None:
            finish(False)
            if on_failed is None or not on_failed(error):
                show_user_error(self._strip.window(), error, "Could not finish")

        def cancelled() -> None:
            finish(False)
            self._notifications.notify(
                "Cancelled", f"{message.rstrip('…')}: nothing was kept.", source="datasets"
            )

        handle = self._task = run_task(
            work,
            on_done=done,
            on_error=failed,
            on_progress=lambda p: self._strip.progress(p, prefix),
            on_cancelled=cancelled,
            on_finished=lambda: finish(False),  # a bug: the crash dialog has it
            context=self,
            kind=LONG,
        )

    def cancel(self) -> None:
        if self._task is not None:
            self._strip.message.setText("Cancelling…")
            self._strip.cancel_button.setEnabled(False)
            self._task.cancel()

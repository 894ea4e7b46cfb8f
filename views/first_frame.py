"""Knowing when a window has really been painted, for start-up timing."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget


def process_start_time() -> float:
    """The epoch second this process was created, as the OS recorded it."""
    import psutil

    return psutil.Process().create_time()


class FirstFrameWatcher(QObject):
    """Emits `painted(epoch_seconds)` once, after the widget's first paint event finished."""

    painted = Signal(float)

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self.painted_at: float | None = None
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.painted_at is None:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self._on_paint_done)  # after this paint has been flushed
        return False

    def _on_paint_done(self) -> None:
        self.painted_at = time.time()
        self.painted.emit(self.painted_at)

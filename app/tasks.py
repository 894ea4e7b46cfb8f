"""Run work off the GUI thread and get the result back on it.

`run_task(fn, on_done, on_error)` runs `fn(state)` on the global QThreadPool.
`state` is a `TaskState`: the worker reports progress through it and checks it
for cancellation; it never touches a widget. The callbacks run on the thread
that called `run_task` (the GUI thread), delivered through queued signals.

One error policy for every background task: a `UserError` goes to `on_error`
(or, without one, is shown plainly); a bug always reaches the crash dialog with
its traceback, whatever the caller passed; nothing is swallowed. Clean-up that
must happen however the task ended goes in `on_finished`.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.errors import TaskCancelled, is_known

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    done: float
    total: float | None
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


class TaskState:
    """Shared between the caller and the worker: progress out, cancellation in."""

    def __init__(self, report: Callable[[Progress], None] | None = None) -> None:
        self._cancelled = threading.Event()
        self._report = report
        """Called from the worker thread; `run_task` sets one that queues to the caller."""

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise TaskCancelled("cancelled")

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        """Report progress; also a cancellation point, so long loops need only this call."""
        self.raise_if_cancelled()
        if self._report is not None:
            self._report(Progress(done, total, message))


class _Relay(QObject):
    """Lives on the caller's thread; the pool emits, its slots run there (queued).

    The slots are methods of this QObject rather than bare functions so Qt sees
    a receiver on the caller's thread and queues the call across threads.
    """

    progressed = Signal(object)
    succeeded = Signal(object)
    errored = Signal(object, str)
    finished = Signal()

    def __init__(self, callbacks: dict[str, Callable[..., None]], context: QObject | None) -> None:
        super().__init__()
        self._callbacks = callbacks
        self._context_alive = True
        if context is not None:
            context.destroyed.connect(self._on_context_destroyed)
        self.progressed.connect(self._on_progressed)
        self.succeeded.connect(self._on_succeeded)
        self.errored.connect(self._on_errored)
        self.finished.connect(self._on_finished)

    @Slot()
    def _on_context_destroyed(self) -> None:
        self._context_alive = False

    @property
    def context_alive(self) -> bool:
        return self._context_alive

    @Slot(object)
    def _on_progressed(self, progress: Progress) -> None:
        if self._context_alive:
            self._callbacks["progress"](progress)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        if self._context_alive:
            self._callbacks["done"](result)

    @Slot(object, str)
    def _on_errored(self, error: BaseException, text: str) -> None:
        if self._context_alive:
            self._callbacks["error"](error, text)

    @Slot()
    def _on_finished(self) -> None:
        self._callbacks["finished"]()


class TaskHandle(QObject):
    """What `run_task` returns: cancel it, or listen to its signals."""

    progressed = Signal(object)
    finished = Signal()

    def __init__(self, state: TaskState) -> None:
        super().__init__()
        self.state = state
        self.done = False

    def cancel(self) -> None:
        self.state.cancel()


_live: set[TaskHandle] = set()


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskState], Any], state: TaskState, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._state, self._relay = fn, state, relay

    def run(self) -> None:
        try:
            result = self._fn(self._state)
        except BaseException as error:
            self._relay.errored.emit(error, traceback.format_exc())
        else:
            self._relay.succeeded.emit(result)
        finally:
            self._relay.finished.emit()


def run_task(
    fn: Callable[[TaskState], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException, str], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    *,
    on_cancelled: Callable[[], None] | None = None,
    on_finished: Callable[[], None] | None = None,
    context: QObject | None = None,
    pool: QThreadPool | None = None,
) -> TaskHandle:
    """Run `fn(state)` in the thread pool; callbacks run back on the calling thread.

    With `context`, the callbacks are skipped once that object has been
    destroyed (as with Qt's connect): a window closed while its task ran is
    never called back.

    `on_error` receives known errors (`UserError`) only; without it they are shown
    plainly. A bug goes to `report_error` (the crash dialog) in every case.
    `on_finished` runs last, however the task ended.
    """
    state = TaskState()
    handle = TaskHandle(state)

    def _progress(progress: Progress) -> None:
        if on_progress is not None:
            on_progress(progress)
        handle.progressed.emit(progress)

    def _done(result: Any) -> None:
        if on_done is not None:
            on_done(result)

    def _error(error: BaseException, text: str) -> None:
        if isinstance(error, TaskCancelled):
            if on_cancelled is not None:
                on_cancelled()
        elif on_error is not None and is_known(error):
            on_error(error, text)
        else:
            report_error(error, text)

    def _finished() -> None:
        handle.done = True
        _live.discard(handle)
        try:
            if on_finished is not None and relay.context_alive:
                on_finished()
        finally:
            handle.finished.emit()
            relay.deleteLater()

    relay = _Relay(
        {"progress": _progress, "done": _done, "error": _error, "finished": _finished},
        context,
    )
    state._report = relay.progressed.emit
    handle._relay = relay  # type: ignore[attr-defined] - keeps it alive with the handle
    _live.add(handle)
    (pool or QThreadPool.globalInstance()).start(_Runnable(fn, state, relay))
    return handle


def report_error(error: BaseException, text: str = "") -> None:
    """A failure no caller handled goes to the crash hook, which logs it and shows a
    known error plainly and a bug in the crash dialog with its traceback (`text`, the
    worker's traceback, travels on the exception)."""
    sys.excepthook(type(error), error, error.__traceback__)


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Block until every pooled task ended; for shutdown and tests only."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)

"""Run work off the GUI thread and get the result back on it.

`run_task(fn, on_done, on_error)` runs `fn(state)` on the global QThreadPool.
`state` is a `TaskState`: the worker reports progress through it and checks it
for cancellation; it never touches a widget. The callbacks run on the thread
that called `run_task` (the GUI thread), delivered through queued signals.

Two pools, as Picard passes a pool per kind of task: `SHORT` for refreshes and
reads the person waits on (a table, a page of rows, a log tail) and `LONG` for
work that may take seconds or minutes (an import, a ten-million-point load, a
folder deletion). Two long tasks never stall the 200 ms refresh of the jobs
table.

One error policy for every background task: a `UserError` goes to `on_error`
(or, without one, is shown plainly); a bug always reaches the crash dialog with
its traceback, whatever the caller passed; nothing is swallowed. Clean-up that
must happen however the task ended goes in `on_finished`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

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
        self._relay: QObject | None = None
        """Kept alive with the handle until the task's callbacks have run."""

    def cancel(self) -> None:
        self.state.cancel()


_live: set[TaskHandle] = set()

SHORT = "short"
"""Refreshes and small reads: what a person waits on right now."""
LONG = "long"
"""Imports, exports, deletions, loads of millions of points: seconds to minutes."""
_pools: dict[str, QThreadPool] = {}


def thread_pool(kind: str = SHORT) -> QThreadPool:
    """The pool for `kind`, made on first use with as many threads as cores (at least 2)."""
    if kind not in (SHORT, LONG):
        raise ValueError(f"unknown task kind {kind!r}")
    pool = _pools.get(kind)
    if pool is None:
        pool = _pools[kind] = QThreadPool()
        pool.setObjectName(f"{kind}-tasks")
        pool.setMaxThreadCount(max(2, QThread.idealThreadCount()))
    return pool


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskState], Any], state: TaskState, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._state, self._relay = fn, state, relay

    def run(self) -> None:
        try:
            self._state.raise_if_cancelled()  # cancelled while it waited for a thread
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
    kind: str = SHORT,
) -> TaskHandle:
    """Run `fn(state)` in the thread pool; callbacks run back on the calling thread.

    With `context`, the callbacks are skipped once that object has been
    destroyed (as with Qt's connect): a window closed while its task ran is
    never called back.

    `on_error` receives known errors (`UserError`) only; without it they are shown
    plainly. A bug goes to `report_error` (the crash dialog) in every case.
    `on_finished` runs last, however the task ended. `kind` picks the pool (`SHORT`
    or `LONG`); `pool` gives one of the caller's own instead.
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
    handle._relay = relay
    _live.add(handle)
    (pool or thread_pool(kind)).start(_Runnable(fn, state, relay))
    return handle


def pending() -> int:
    """How many tasks have not delivered their results yet (smoke tests wait for 0)."""
    return sum(1 for handle in _live if not handle.done)


def report_error(error: BaseException, text: str = "") -> None:
    """A failure no caller handled goes to the crash hook, which logs it and shows a
    known error plainly and a bug in the crash dialog with its traceback (`text`, the
    worker's traceback, travels on the exception)."""
    sys.excepthook(type(error), error, error.__traceback__)


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Block until every pooled task ended, at most `timeout_ms` in all; for shutdown and
    tests only. False when some task still runs."""
    deadline = time.monotonic() + timeout_ms / 1000
    drained = True
    for pool in list(_pools.values()):
        left = max(0, int((deadline - time.monotonic()) * 1000))
        drained = pool.waitForDone(left) and drained
    return drained


def cancel_all() -> int:
    """Ask every running or waiting task to stop at its next cancellation point; returns
    how many were asked. A task still waiting in a pool ends as cancelled when its turn
    comes, without running (so its callbacks still arrive, and nothing stays pending)."""
    handles = [handle for handle in _live if not handle.done]
    for handle in handles:
        handle.cancel()
    return len(handles)


def shut_down(timeout_ms: int = 5_000) -> bool:
    """At quit: cancel what runs, then wait a bounded time. False when a task would not
    end (a call blocked in a library): the caller must not wait on it for ever."""
    cancel_all()
    drained = wait_for_all(timeout_ms)
    if not drained:
        log.warning(
            "%d background task(s) did not end within %d ms of quitting",
            sum(pool.activeThreadCount() for pool in _pools.values()),
            timeout_ms,
        )
    return drained

"""run_task: results, progress, errors and cancellation come back on the GUI thread."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QThread

from app.errors import UserError
from app.tasks import Progress, run_task


def test_result_arrives_on_the_calling_thread(qtbot) -> None:
    main_thread = QThread.currentThread()
    seen: dict = {}

    def work(_state):
        seen["worker_thread"] = threading.current_thread()
        return 21 * 2

    def done(result: int) -> None:
        seen["result"] = result
        seen["callback_on_main"] = QThread.currentThread() is main_thread

    handle = run_task(work, on_done=done)
    qtbot.waitUntil(lambda: handle.done)
    assert seen["result"] == 42
    assert seen["callback_on_main"]
    assert seen["worker_thread"] is not threading.main_thread()


def test_progress_is_reported_in_order(qtbot) -> None:
    reports: list[Progress] = []

    def work(state):
        for i in range(5):
            state.progress(i + 1, 5, f"step {i + 1}")

    handle = run_task(work, on_progress=reports.append)
    qtbot.waitUntil(lambda: handle.done)
    assert [p.done for p in reports] == [1, 2, 3, 4, 5]
    assert reports[-1].fraction == 1.0
    assert reports[-1].message == "step 5"


def test_errors_reach_on_error_with_the_traceback(qtbot) -> None:
    errors: list = []

    def work(_state):
        raise UserError("missing column 'text'", "Map a column to text.")

    handle = run_task(work, on_error=lambda e, tb: errors.append((e, tb)))
    qtbot.waitUntil(lambda: handle.done)
    error, text = errors[0]
    assert isinstance(error, UserError)
    assert "missing column 'text'" in text


def test_a_bug_reaches_the_crash_hook_even_when_the_caller_handles_errors(
    qtbot, monkeypatch
) -> None:
    """One policy: on_error sees known errors; a bug is never swallowed by a caller's
    handler; on_finished runs however the task ended."""
    hooked: list = []
    monkeypatch.setattr("sys.excepthook", lambda kind, error, tb: hooked.append((error, tb)))
    handled: list = []
    finished: list = []

    def buggy(_state):
        return {}["missing"]

    handle = run_task(
        buggy,
        on_error=lambda e, _t: handled.append(e),
        on_finished=lambda: finished.append("bug"),
    )
    qtbot.waitUntil(lambda: handle.done)
    assert handled == [] and finished == ["bug"]
    error, tb = hooked[0]
    assert isinstance(error, KeyError) and tb is not None  # the traceback travels with it

    def refused(_state):
        raise UserError("no such file")

    handle = run_task(refused, on_finished=lambda: finished.append("user"))
    qtbot.waitUntil(lambda: handle.done)
    assert finished == ["bug", "user"]
    assert isinstance(hooked[1][0], UserError)  # no on_error: shown plainly by the hook


def test_cancellation_stops_the_worker_and_calls_on_cancelled(qtbot) -> None:
    started = threading.Event()
    outcome: list[str] = []

    def work(state):
        started.set()
        for i in range(10_000):
            state.progress(i, 10_000)
            time.sleep(0.001)
        return "finished"

    handle = run_task(
        work, on_done=lambda r: outcome.append(r), on_cancelled=lambda: outcome.append("cancelled")
    )
    assert started.wait(5)
    handle.cancel()
    qtbot.waitUntil(lambda: handle.done)
    assert outcome == ["cancelled"]


def test_callbacks_are_skipped_once_the_context_is_gone(qtbot) -> None:
    context = QObject()
    release = threading.Event()
    called: list = []

    handle = run_task(lambda _s: release.wait(5), on_done=called.append, context=context)
    context.deleteLater()
    qtbot.waitUntil(lambda: not _alive(context))
    release.set()
    qtbot.waitUntil(lambda: handle.done)
    assert called == []


def _alive(obj: QObject) -> bool:
    from shiboken6 import isValid

    return isValid(obj)

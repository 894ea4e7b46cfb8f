"""Uncaught errors reach a dialog and the log; known errors get a plain message."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from app.errors import UserError
from app.tasks import run_task
from views.crash_dialog import CrashDialog


def _raise(error: BaseException) -> None:
    try:
        raise error
    except BaseException as caught:
        sys.excepthook(type(caught), caught, caught.__traceback__)


def test_uncaught_exception_shows_the_dialog_with_the_traceback(start_session, paths, qtbot):
    session = start_session(paths)
    with qtbot.waitSignal(session.errors.dialog_shown) as shown:
        _raise(RuntimeError("kaboom in a slot"))
    dialog = shown.args[0]
    assert isinstance(dialog, CrashDialog)
    text = dialog.details.toPlainText()
    assert "Traceback" in text and "kaboom in a slot" in text
    assert "kaboom in a slot" in paths.app_log.read_text()
    dialog.close()


def test_exception_in_a_worker_thread_reaches_the_dialog(start_session, paths, qtbot):
    session = start_session(paths)
    with qtbot.waitSignal(session.errors.dialog_shown, timeout=10_000) as shown:
        thread = threading.Thread(target=lambda: 1 / 0)
        thread.start()
        thread.join()
    assert "ZeroDivisionError" in shown.args[0].details.toPlainText()
    shown.args[0].close()


def test_failing_background_task_without_handler_reaches_the_dialog(start_session, paths, qtbot):
    session = start_session(paths)

    def broken(_state):
        raise ValueError("bad worker")

    with qtbot.waitSignal(session.errors.dialog_shown, timeout=10_000) as shown:
        run_task(broken)
    assert "bad worker" in shown.args[0].details.toPlainText()
    shown.args[0].close()


def test_known_error_gets_a_plain_message_not_the_crash_dialog(start_session, paths, qtbot):
    session = start_session(paths)
    crash_dialogs: list = []
    session.errors.dialog_shown.connect(crash_dialogs.append)
    _raise(UserError("The file data.csv is empty.", "Choose a file with rows."))

    def message_box() -> QMessageBox | None:
        boxes = [
            w for w in QApplication.allWidgets() if isinstance(w, QMessageBox) and w.isVisible()
        ]
        return boxes[0] if boxes else None

    qtbot.waitUntil(lambda: message_box() is not None)
    box = message_box()
    assert box.text() == "The file data.csv is empty."
    assert box.informativeText() == "Choose a file with rows."
    assert crash_dialogs == []
    box.close()


def test_crash_log_is_set_up_for_native_faults(start_session, paths) -> None:
    import faulthandler

    start_session(paths)
    assert faulthandler.is_enabled()
    assert paths.crash_log.exists()


@pytest.fixture(autouse=True)
def _restore_hooks():
    hook, thread_hook = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = hook, thread_hook

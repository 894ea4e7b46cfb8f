"""Notifications: shown in the window without a tray, kept across restarts."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon

from app.notifications import Level
from app.settings import NOTIFICATIONS_ENABLED
from views.widgets.notification_list import NotificationListModel, NotificationRole


def test_without_a_tray_a_toast_shows_in_the_window(start_session, paths, qtbot) -> None:
    session = start_session(paths)
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen has none
    presenter = session.notifications
    session.core.notifications.notify(
        "Training finished", "job 7 reached 0.91 accuracy", Level.SUCCESS, source="job:7"
    )
    assert presenter.toast.isVisible()
    assert presenter.toast.title == "Training finished"


def test_a_toast_covers_no_data_rows(start_session, paths, qtbot) -> None:
    """At the bottom it hid a preview's last rows and the thumbnails: it sits over the
    pane's title row instead."""
    session = start_session(paths)
    window = session.window
    window.resize(1280, 800)
    window.show()
    pane = window.show_pane("datasets")
    session.core.notifications.notify(
        "Job first model completed",
        "accuracy 1.000 (majority class 0.300)\nModel: /data/runs/job-1/output",
        Level.SUCCESS,
        source="job:1",
    )
    toast = session.notifications.toast
    assert toast.isVisible()
    body = pane.stack  # the list, preview and statistics below the pane's title row
    top_left = body.mapTo(window, body.rect().topLeft())
    assert toast.geometry().bottom() < top_left.y()


def test_notifications_off_means_nothing_pops_up(start_session, paths, qtbot) -> None:
    session = start_session(paths)
    session.core.settings.set(NOTIFICATIONS_ENABLED, False)
    session.core.notifications.notify("Quiet")
    assert not session.notifications.toast.isVisible()


def test_history_survives_a_restart_and_counts_unread(start_session, paths, qtbot) -> None:
    first = start_session(paths)
    qtbot.waitUntil(lambda: first.core.database_is_open, timeout=30_000)
    with qtbot.waitSignal(first.core.notifications.history_changed):
        first.core.notifications.notify("Job failed", "out of memory", Level.ERROR)
    first.close()

    second = start_session(paths)
    presenter = second.notifications
    qtbot.waitUntil(lambda: presenter.history.rowCount() == 1, timeout=30_000)
    row = presenter.history.index(0).data(NotificationRole)
    assert (row.title, row.level, row.read) == ("Job failed", Level.ERROR, False)
    assert presenter.bell.text() == "1"

    with qtbot.waitSignal(second.core.notifications.history_changed):
        second.core.notifications.mark_all_read()
    qtbot.waitUntil(lambda: presenter.bell.text() == "")


def test_notifications_raised_before_the_database_opens_are_kept(paths, qtbot) -> None:
    from app.core import AppCore

    core = AppCore(paths)
    core.notifications.notify("Early bird")
    with qtbot.waitSignal(core.notifications.history_changed, timeout=30_000):
        core.open_database()
    received: list = []
    core.notifications.load_history(received.extend)
    qtbot.waitUntil(lambda: bool(received))
    assert received[0].title == "Early bird"
    core.shutdown()


def test_history_is_trimmed_to_the_setting(core, qtbot) -> None:
    from app.settings import NOTIFICATION_HISTORY

    core.settings.set(NOTIFICATION_HISTORY, 10)
    for i in range(15):
        with qtbot.waitSignal(core.notifications.history_changed):
            core.notifications.notify(f"n{i}")
    received: list = []
    core.notifications.load_history(received.extend)
    qtbot.waitUntil(lambda: bool(received))
    assert [n.title for n in received] == [f"n{i}" for i in range(14, 4, -1)]


def test_notification_list_model_is_a_correct_qt_model(qtmodeltester, core, qtbot) -> None:
    from app.notifications import Notification

    model = NotificationListModel()
    model.set_notifications([Notification("a", "first"), Notification("b", level=Level.WARNING)])
    qtmodeltester.check(model)
    assert model.unread_count() == 2

"""Notifications: one service that any part of the app tells, many ways to show.

The service records each notification (in the database, so the list survives
a restart) and emits `notified`; views decide how to present it, in the
system tray where the platform has one and inside the window otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.settings import NOTIFICATION_HISTORY, NOTIFICATIONS_ENABLED, Settings
from app.tasks import run_task

if TYPE_CHECKING:
    from app.db.database import Database

log = logging.getLogger(__name__)


class Level(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Notification:
    title: str
    message: str = ""
    level: Level = Level.INFO
    source: str = ""
    created_at: datetime | None = None
    read: bool = False
    id: int | None = None


class NotificationService(QObject):
    notified = Signal(object)
    """A new `Notification` to present now (not emitted when notifications are off)."""
    history_changed = Signal()
    """The stored list changed: reload it with `load_history`."""

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._database: Database | None = None
        self._pending: list[Notification] = []

    def attach_database(self, database: Database) -> None:
        """Called once the database is open; notifications raised before it are stored now."""
        self._database = database
        pending, self._pending = self._pending, []
        for notification in pending:
            self._store(notification)

    def notify(
        self, title: str, message: str = "", level: Level = Level.INFO, source: str = ""
    ) -> Notification:
        from app.db.models import utcnow

        notification = Notification(title, message, Level(level), source, utcnow())
        log.info("Notification [%s] %s: %s", notification.level, title, message)
        if self._database is None:
            self._pending.append(notification)
        else:
            self._store(notification)
        if self._settings.get(NOTIFICATIONS_ENABLED):
            self.notified.emit(notification)
        return notification

    def _store(self, notification: Notification) -> None:
        database, keep = self._database, self._settings.get(NOTIFICATION_HISTORY)
        assert database is not None
        run_task(
            lambda _state: _insert(database, notification, keep),
            on_done=lambda _id: self.history_changed.emit(),
            # A full disk: the toast was shown; only the history misses it (no dialog).
            on_error=lambda error, _text: log.warning("Notification not kept: %s", error),
            context=self,
        )

    def load_history(
        self,
        on_done: Callable[[list[Notification]], None],
        limit: int = 500,
        context: QObject | None = None,
    ) -> None:
        """Deliver the newest notifications, newest first, to `on_done` on this thread."""
        database = self._database
        if database is None:
            on_done(list(reversed(self._pending)))
            return
        run_task(lambda _state: _recent(database, limit), on_done=on_done, context=context)

    def mark_all_read(self) -> None:
        database = self._database
        if database is None:
            self._pending = [replace(n, read=True) for n in self._pending]
            self.history_changed.emit()
            return
        run_task(
            lambda _s: _mark_read(database),
            on_done=lambda _r: self.history_changed.emit(),
            context=self,
        )


def _insert(database: Database, notification: Notification, keep: int) -> int:
    from sqlalchemy import delete, select

    from app.db.models import NotificationRow

    with database.session() as session:
        row = NotificationRow(
            created_at=notification.created_at,
            level=str(notification.level),
            title=notification.title[:200],
            message=notification.message,
            source=notification.source,
            read=False,
        )
        session.add(row)
        session.flush()
        cutoff = select(NotificationRow.id).order_by(NotificationRow.id.desc()).offset(keep)
        session.execute(delete(NotificationRow).where(NotificationRow.id.in_(cutoff)))
        return row.id


def _recent(database: Database, limit: int) -> list[Notification]:
    from sqlalchemy import select

    from app.db.models import NotificationRow

    with database.session() as session:
        rows = session.scalars(
            select(NotificationRow).order_by(NotificationRow.id.desc()).limit(limit)
        )
        return [
            Notification(r.title, r.message, Level(r.level), r.source, r.created_at, r.read, r.id)
            for r in rows
        ]


def _mark_read(database: Database) -> None:
    from sqlalchemy import update

    from app.db.models import NotificationRow

    with database.session() as session:
        session.execute(update(NotificationRow).values(read=True))

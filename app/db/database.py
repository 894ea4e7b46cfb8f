"""Opening the database: SQLite in WAL mode, migrated to the newest schema.

WAL plus a busy timeout lets the GUI and a command-line process have the
same file open at once (DESIGN.md §1).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLockFile
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import StorageFull

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
LOW_SPACE_BYTES = 1 << 20


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", future=True)
    event.listen(engine, "connect", _on_connect)
    return engine


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is already there."""
    from alembic import command

    log.info("Applying database migrations up to %s", revision)
    command.upgrade(alembic_config(engine), revision)


def disk_full(error: OperationalError, path: Path) -> bool:
    """SQLite says SQLITE_FULL as "database or disk is full"; a failed write to the WAL's
    shared memory on a full disk can come back as an I/O error instead."""
    text = str(error.orig).lower()
    if "database or disk is full" in text:
        return True
    if "disk i/o error" in text:
        try:
            return shutil.disk_usage(path.parent).free < LOW_SPACE_BYTES
        except OSError:
            return False
    return False


class Database:
    """One engine and session factory per process."""

    def __init__(self, path: Path, *, run_migrations: bool = True) -> None:
        self.path = path
        self.engine = create_db_engine(path)
        if run_migrations:
            # Two processes opening a new data directory at once (two terminals, a
            # terminal and the window) would both create the tables: one at a time.
            lock = QLockFile(f"{path}.migrate.lock")
            lock.setStaleLockTime(0)  # stale only when its owner is gone
            lock.lock()
            try:
                migrate(self.engine)
            finally:
                lock.unlock()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error. A write that
        fails for want of disk space raises `StorageFull` (a known error, said plainly):
        nothing of it was saved, so the caller may try it again once there is room."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except OperationalError as error:
            if not disk_full(error, self.path):
                raise
            raise StorageFull(
                f"The disk that holds {self.path} is full: SparkTrainer could not save "
                "its records.",
                "Free some space there; what could not be saved is saved again then.",
            ) from error

    def close(self) -> None:
        self.engine.dispose()


def raw_cursor(session: Session) -> Any:
    """The sqlite3 cursor under a session: rows straight from the driver, no ORM (for the
    reads and writes of hundreds of thousands of rows)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    return driver.cursor()

"""Opening the database: SQLite in WAL mode, migrated to the newest schema.

WAL plus a busy timeout lets the GUI and a command-line process have the
same file open at once (DESIGN.md §1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLockFile
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000


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
        """A unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

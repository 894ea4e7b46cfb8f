"""Builder networks saved by name in the database: each save is a new version, and any
version opens again (the pane reopens the last one it showed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.db.database import Database
from app.db.models import NetworkRow
from app.errors import NotFound, UserError


@dataclass(frozen=True)
class SavedNetwork:
    name: str
    version: int
    definition: dict[str, Any]
    created_at: datetime


class NetworkLibrary:
    def __init__(self, database: Database) -> None:
        self.database = database

    def save(self, name: str, definition: dict[str, Any]) -> SavedNetwork:
        """A new version of `name` (version 1 for a new name)."""
        name = name.strip()
        if not name:
            raise UserError("name: give the network a name.")
        with self.database.session() as session:
            latest = session.scalar(
                select(func.max(NetworkRow.version)).where(NetworkRow.name == name)
            )
            row = NetworkRow(name=name, version=(latest or 0) + 1, definition=definition)
            session.add(row)
            session.flush()
            return SavedNetwork(row.name, row.version, dict(row.definition), row.created_at)

    def names(self) -> list[tuple[str, int]]:
        """(name, its newest version), by name."""
        with self.database.session() as session:
            rows = session.execute(
                select(NetworkRow.name, func.max(NetworkRow.version))
                .group_by(NetworkRow.name)
                .order_by(NetworkRow.name)
            )
            return [(name, int(version)) for name, version in rows]

    def versions(self, name: str) -> list[int]:
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(NetworkRow.version)
                    .where(NetworkRow.name == name)
                    .order_by(NetworkRow.version)
                )
            )

    def load(self, name: str, version: int | None = None) -> SavedNetwork:
        """A version of `name` (the newest by default)."""
        with self.database.session() as session:
            statement = select(NetworkRow).where(NetworkRow.name == name)
            if version is not None:
                statement = statement.where(NetworkRow.version == version)
            row = session.scalars(statement.order_by(NetworkRow.version.desc()).limit(1)).first()
            if row is None:
                what = f"{name!r} version {version}" if version else repr(name)
                raise NotFound(f"No saved network {what}", "`builder list` shows them.")
            return SavedNetwork(row.name, row.version, dict(row.definition), row.created_at)

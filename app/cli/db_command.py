"""`sparktrainer db`: inspect and migrate the database without opening the window."""

from __future__ import annotations

import argparse

from app.paths import data_paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply pending migrations (start-up does too)")
    upgrade.set_defaults(func=_upgrade)
    current = actions.add_parser("current", help="print the schema revision")
    current.set_defaults(func=_current)


def _upgrade(_args: argparse.Namespace) -> int:
    from app.db.database import Database

    database = Database(data_paths().database)
    database.close()
    print(f"Database {database.path} is up to date.")
    return 0


def _current(_args: argparse.Namespace) -> int:
    from alembic.migration import MigrationContext

    from app.db.database import create_db_engine

    engine = create_db_engine(data_paths().database)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    print(revision or "empty (no migrations applied)")
    return 0

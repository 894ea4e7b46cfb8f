"""The database: migrations produce exactly the ORM's schema, in WAL mode."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.db.database import MIGRATIONS, Database, alembic_config, migrate
from app.db.models import Base


def test_migrations_produce_exactly_the_orm_schema(paths) -> None:
    database = Database(paths.database)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(connection).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }
    database.close()


def test_migrations_are_a_single_line_of_history() -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1


def test_downgrade_to_base_and_upgrade_again(paths) -> None:
    from alembic import command

    database = Database(paths.database)
    command.downgrade(alembic_config(database.engine), "base")
    assert inspect(database.engine).get_table_names() == ["alembic_version"]
    migrate(database.engine)
    assert "notifications" in inspect(database.engine).get_table_names()
    database.close()


def test_database_runs_in_wal_mode_with_a_busy_timeout(paths) -> None:
    database = Database(paths.database)
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    database.close()


def test_start_up_migration_is_idempotent(paths) -> None:
    Database(paths.database).close()
    database = Database(paths.database)
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    from alembic.script import ScriptDirectory

    from app.db.database import alembic_config

    head = ScriptDirectory.from_config(alembic_config(database.engine)).get_current_head()
    assert current == head and head == max(p.stem[:4] for p in MIGRATIONS.glob("versions/0*.py"))
    database.close()


def test_processes_that_open_a_new_database_at_once_migrate_it_one_at_a_time(paths) -> None:
    """Two terminals (or a terminal and the window) on a new data directory: before the
    lock, both created the tables and one died with "table … already exists"."""
    import subprocess
    import sys

    paths.ensure()
    opener = (
        "import sys; from pathlib import Path; from app.db.database import Database; "
        "Database(Path(sys.argv[1])).close()"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", opener, str(paths.database)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    test_migrations_produce_exactly_the_orm_schema(paths)

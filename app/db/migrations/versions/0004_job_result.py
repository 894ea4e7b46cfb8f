"""A job's final evaluation and the baseline it is judged against; its running time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("run_seconds", sa.Float(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("run_since", sa.DateTime(timezone=True), nullable=True))
    # Earlier jobs: their start to their end (paused time included: nothing better is known).
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("run_seconds", sa.Float),
        sa.column("run_since", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(jobs)).mappings().all():
        if row["started_at"] is None:
            continue
        if row["status"] == "running":
            values = {"run_since": row["started_at"]}
        elif row["finished_at"] is not None:
            spent = (row["finished_at"] - row["started_at"]).total_seconds()
            values = {"run_seconds": max(0.0, spent)}
        else:
            continue
        bind.execute(sa.update(jobs).where(jobs.c.id == row["id"]).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("run_since")
        batch.drop_column("run_seconds")
        batch.drop_column("result")

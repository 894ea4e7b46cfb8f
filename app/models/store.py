"""Models in the database: rows in, plain `ModelRecord`s out."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db.database import Database
from app.db.models import ModelRow
from app.errors import NotFound

TASK_NAMES = {
    "causal_lm_sft": "text generation",
    "text_classification": "text classification",
    "image_classification": "image classification",
    "custom_architecture": "builder network",
}


@dataclass(frozen=True)
class ModelRecord:
    id: int
    name: str
    source: str
    method: str
    task: str
    path: str | None
    owned: bool
    base_id: int | None
    job_id: str | None
    dataset: dict[str, Any] | None
    architecture: str
    parameters: int | None
    dtype: str
    size_bytes: int
    metrics: dict[str, Any] | None
    facts: dict[str, Any] | None
    card: str | None
    created_at: datetime

    @property
    def kind(self) -> str:
        """What the list's filter calls it: base, trained or adapter."""
        if self.method == "lora":
            return "adapter"
        return "base" if self.method == "base" else "trained"

    @property
    def folder(self) -> Path | None:
        return Path(self.path) if self.path else None

    def headline(self) -> tuple[str, float] | None:
        """The final metric a list shows: accuracy, else the validation loss."""
        final = (self.metrics or {}).get("final") or {}
        for name in ("accuracy", "eval_loss"):
            if isinstance(final.get(name), int | float):
                return name, float(final[name])
        return None

    @property
    def task_name(self) -> str:
        return TASK_NAMES.get(self.task, self.task)


def _record(row: ModelRow) -> ModelRecord:
    return ModelRecord(**{f.name: getattr(row, f.name) for f in fields(ModelRecord)})


class ModelStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, **values: Any) -> ModelRecord:
        with self.database.session() as session:
            row = ModelRow(**values)
            session.add(row)
            session.flush()
            return _record(row)

    def get(self, model_id: int) -> ModelRecord:
        with self.database.session() as session:
            row = session.get(ModelRow, model_id)
            if row is None:
                raise NotFound(f"No model #{model_id}", "`model list` shows the models.")
            return _record(row)

    def all(self) -> list[ModelRecord]:
        with self.database.session() as session:
            rows = session.scalars(select(ModelRow).order_by(ModelRow.id)).all()
            return [_record(row) for row in rows]

    def find(self, **where: Any) -> ModelRecord | None:
        with self.database.session() as session:
            statement = select(ModelRow)
            for name, value in where.items():
                statement = statement.where(getattr(ModelRow, name) == value)
            row = session.scalars(statement.limit(1)).first()
            return _record(row) if row is not None else None

    def registered_jobs(self) -> set[str]:
        with self.database.session() as session:
            return set(session.scalars(select(ModelRow.job_id).where(ModelRow.job_id.isnot(None))))

    def update(self, model_id: int, **values: Any) -> ModelRecord:
        with self.database.session() as session:
            row = session.get(ModelRow, model_id)
            if row is None:
                raise NotFound(f"No model #{model_id}")
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return _record(row)

    def delete(self, model_id: int) -> None:
        with self.database.session() as session:
            row = session.get(ModelRow, model_id)
            if row is not None:
                session.delete(row)

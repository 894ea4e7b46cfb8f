"""Labeling projects and labels in the database: rows in, plain records out. Every write
is its own transaction, so a label is on disk the moment the person gives it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.sqlite import insert

from app.db.database import Database
from app.db.models import LabelProjectRow, LabelRow, utcnow
from app.errors import NotFound, UserError
from app.labeling.schema import LabelClass, classes_from_json


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    dataset_id: str
    version: int
    kind: str
    multi_label: bool
    column: str
    classes: list[LabelClass]
    position: int
    created_at: datetime

    @property
    def class_names(self) -> list[str]:
        return [label_class.name for label_class in self.classes]


@dataclass(frozen=True)
class Label:
    sample: int
    classes: list[str]
    skipped: bool


def _project(row: LabelProjectRow) -> Project:
    return Project(
        row.id,
        row.name,
        row.dataset_id,
        row.version,
        row.kind,
        row.multi_label,
        row.column,
        classes_from_json(row.classes),
        row.position,
        row.created_at,
    )


class LabelStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- projects -----------------------------------------------------------------------

    def add_project(self, **values: object) -> Project:
        with self.database.session() as session:
            if session.scalar(
                select(LabelProjectRow.id).where(LabelProjectRow.name == values["name"])
            ):
                raise UserError(f"A labeling project named {values['name']!r} exists already.")
            row = LabelProjectRow(**values)
            session.add(row)
            session.flush()
            return _project(row)

    def project(self, project_id: int) -> Project:
        with self.database.session() as session:
            row = session.get(LabelProjectRow, project_id)
            if row is None:
                raise NotFound(f"No labeling project #{project_id}", "`labels list` shows them.")
            return _project(row)

    def find_project(self, name: str) -> Project | None:
        with self.database.session() as session:
            row = session.scalars(
                select(LabelProjectRow).where(LabelProjectRow.name == name)
            ).first()
            return _project(row) if row is not None else None

    def projects(self) -> list[Project]:
        with self.database.session() as session:
            rows = session.scalars(select(LabelProjectRow).order_by(LabelProjectRow.id)).all()
            return [_project(row) for row in rows]

    def set_position(self, project_id: int, position: int) -> None:
        with self.database.session() as session:
            row = session.get(LabelProjectRow, project_id)
            if row is not None:
                row.position = position

    def delete_project(self, project_id: int) -> None:
        with self.database.session() as session:
            session.execute(delete(LabelRow).where(LabelRow.project_id == project_id))
            row = session.get(LabelProjectRow, project_id)
            if row is not None:
                session.delete(row)

    # -- labels -------------------------------------------------------------------------

    def put(self, project_id: int, labels: list[Label]) -> None:
        """Write these samples' labels (replacing what they had) in one transaction."""
        if not labels:
            return
        now = utcnow()
        with self.database.session() as session:
            for label in labels:
                values = {
                    "project_id": project_id,
                    "sample": label.sample,
                    "classes": label.classes,
                    "skipped": label.skipped,
                    "updated_at": now,
                }
                statement = insert(LabelRow).values(**values)
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["project_id", "sample"],
                        set_={
                            k: statement.excluded[k] for k in ("classes", "skipped", "updated_at")
                        },
                    )
                )

    def remove(self, project_id: int, samples: list[int]) -> None:
        with self.database.session() as session:
            session.execute(
                delete(LabelRow).where(
                    LabelRow.project_id == project_id, LabelRow.sample.in_(samples)
                )
            )

    def labels(self, project_id: int) -> dict[int, Label]:
        """Every labeled or skipped sample of the project (100,000 rows read in ~0.2 s)."""
        with self.database.session() as session:
            rows = session.execute(
                select(LabelRow.sample, LabelRow.classes, LabelRow.skipped).where(
                    LabelRow.project_id == project_id
                )
            )
            return {
                sample: Label(sample, list(classes), skipped) for sample, classes, skipped in rows
            }

    def counts(self, project_id: int) -> tuple[Counter[str], int, int]:
        """(samples per class, labeled samples, skipped samples)."""
        per_class: Counter[str] = Counter()
        labeled = skipped = 0
        for label in self.labels(project_id).values():
            if label.skipped:
                skipped += 1
            elif label.classes:
                labeled += 1
                per_class.update(label.classes)
        return per_class, labeled, skipped

    def count(self, project_id: int) -> int:
        with self.database.session() as session:
            return int(
                session.scalar(select(func.count()).where(LabelRow.project_id == project_id)) or 0
            )

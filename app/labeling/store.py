"""Labeling projects and labels in the database: rows in, plain records out. Every write
is its own transaction, so a label is on disk the moment the person gives it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from app.db.database import Database, raw_cursor
from app.db.models import LabelProjectRow, LabelRow, LabelSuggestionRow, utcnow
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


@dataclass(frozen=True, slots=True)
class Suggestion:
    sample: int
    classes: list[str]
    confidence: float


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in image pixels (the EXIF orientation applied), top-left and size."""

    name: str
    x: float
    y: float
    w: float
    h: float

    def as_json(self) -> dict[str, Any]:
        return {"class": self.name, "x": self.x, "y": self.y, "w": self.w, "h": self.h}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Box:
        return cls(
            str(value["class"]),
            float(value["x"]),
            float(value["y"]),
            float(value["w"]),
            float(value["h"]),
        )


@dataclass(frozen=True, slots=True)
class Label:
    sample: int
    classes: list[str]
    skipped: bool
    boxes: tuple[Box, ...] = ()
    """A box project's rectangles; `classes` then names the classes among them."""


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
            session.execute(
                delete(LabelSuggestionRow).where(LabelSuggestionRow.project_id == project_id)
            )
            row = session.get(LabelProjectRow, project_id)
            if row is not None:
                session.delete(row)

    # -- labels -------------------------------------------------------------------------

    def put(self, project_id: int, labels: list[Label]) -> None:
        """Write these samples' labels (replacing what they had) in one transaction: one
        prepared statement for them all (100,000 labels in about a second)."""
        if not labels:
            return
        now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes DateTime
        with self.database.session() as session:
            raw_cursor(session).executemany(
                "INSERT INTO labels (project_id, sample, classes, skipped, boxes, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, sample) DO UPDATE SET "
                "classes = excluded.classes, skipped = excluded.skipped, "
                "boxes = excluded.boxes, updated_at = excluded.updated_at",
                [
                    (
                        project_id,
                        label.sample,
                        json.dumps(label.classes),
                        label.skipped,
                        json.dumps([b.as_json() for b in label.boxes]) if label.boxes else None,
                        now,
                    )
                    for label in labels
                ],
            )

    def remove(self, project_id: int, samples: list[int]) -> None:
        with self.database.session() as session:
            session.execute(
                delete(LabelRow).where(
                    LabelRow.project_id == project_id, LabelRow.sample.in_(samples)
                )
            )

    def labels(self, project_id: int) -> dict[int, Label]:
        """Every labeled or skipped sample of the project, straight from the driver (the
        few distinct class lists are decoded once each)."""
        decoded: dict[str, list[str]] = {}
        with self.database.session() as session:
            cursor = raw_cursor(session).execute(
                "SELECT sample, classes, skipped, boxes FROM labels WHERE project_id = ?",
                (project_id,),
            )
            found = {}
            for sample, text, skipped, boxes in cursor:
                classes = decoded.get(text)
                if classes is None:
                    classes = decoded[text] = json.loads(text)
                drawn = tuple(Box.from_json(b) for b in json.loads(boxes)) if boxes else ()
                found[sample] = Label(sample, list(classes), bool(skipped), drawn)
            return found

    def counts(self, project_id: int) -> tuple[Counter[str], int, int]:
        """(samples per class, labeled samples, skipped samples), counted by SQLite."""
        per_class: Counter[str] = Counter()
        labeled = skipped = 0
        with self.database.session() as session:
            cursor = raw_cursor(session).execute(
                "SELECT classes, skipped, COUNT(*) FROM labels WHERE project_id = ? "
                "GROUP BY classes, skipped",
                (project_id,),
            )
            for text, was_skipped, count in cursor:
                classes = json.loads(text)
                if was_skipped:
                    skipped += count
                elif classes:
                    labeled += count
                    for name in classes:
                        per_class[name] += count
        return per_class, labeled, skipped

    def count(self, project_id: int) -> int:
        with self.database.session() as session:
            return int(
                session.scalar(select(func.count()).where(LabelRow.project_id == project_id)) or 0
            )

    # -- suggestions (pre-labels) ------------------------------------------------------------

    def put_suggestions(
        self, project_id: int, suggestions: list[Suggestion], model_id: int | None
    ) -> None:
        with self.database.session() as session:
            raw_cursor(session).executemany(
                "INSERT INTO label_suggestions (project_id, sample, classes, confidence, "
                "model_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, sample) DO UPDATE "
                "SET classes = excluded.classes, confidence = excluded.confidence, "
                "model_id = excluded.model_id",
                [
                    (project_id, s.sample, json.dumps(s.classes), s.confidence, model_id)
                    for s in suggestions
                ],
            )

    def suggestions(self, project_id: int) -> dict[int, Suggestion]:
        decoded: dict[str, list[str]] = {}
        with self.database.session() as session:
            cursor = raw_cursor(session).execute(
                "SELECT sample, classes, confidence FROM label_suggestions WHERE project_id = ?",
                (project_id,),
            )
            found = {}
            for sample, text, confidence in cursor:
                classes = decoded.get(text)
                if classes is None:
                    classes = decoded[text] = json.loads(text)
                found[sample] = Suggestion(sample, list(classes), float(confidence))
            return found

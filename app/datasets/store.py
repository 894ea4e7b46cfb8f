"""Datasets as immutable versions on disk, indexed in the database.

A version is written into `DATA/datasets/.tmp-…`, checksummed, then renamed
into `DATA/datasets/ID/vN/`; only then does its row appear, so a cancel or a
crash at any moment leaves no dataset, folder or row behind (leftover
temporary folders are removed at start). Nothing ever changes a version:
filters, splits and label edits write a new one that names its parent.
"""

from __future__ import annotations

import re
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.datasets import operations, statistics
from app.datasets.export import write_export
from app.datasets.importer import DATA_FILE, IMAGES_DIR, materialize
from app.datasets.operations import FilterOptions
from app.datasets.scratch import TEMP_PREFIX, disk_space_said, make_scratch, remove_abandoned
from app.datasets.version_files import folder_checksum, link_images, write_table
from app.db.database import Database
from app.db.models import DatasetRow, DatasetVersionRow, JobRow
from app.errors import NotFound, UserError
from app.tasks import TaskState


@dataclass(frozen=True)
class DatasetVersion:
    dataset_id: str
    dataset_name: str
    number: int
    parent: int | None
    operation: dict[str, Any]
    kind: str
    path: Path
    sha256: str
    rows: int
    bytes: int
    schema: list[list[str]]
    stats: dict[str, Any]
    created_at: datetime

    @property
    def data_file(self) -> Path:
        """What a job's spec points at (`dataset.path`)."""
        return self.path / DATA_FILE

    @property
    def columns(self) -> list[str]:
        return [name for name, _type in self.schema]

    @property
    def notes(self) -> list[str]:
        return list(self.operation.get("notes", []))


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    current_version: int
    versions: int
    created_at: datetime
    last_used_at: datetime | None
    current: DatasetVersion


def _version(row: DatasetVersionRow, name: str) -> DatasetVersion:
    return DatasetVersion(
        row.dataset_id,
        name,
        row.number,
        row.parent,
        row.operation,
        row.kind,
        Path(row.path),
        row.sha256,
        row.rows,
        row.bytes,
        row.schema,
        row.stats,
        row.created_at,
    )


class DatasetStore:
    def __init__(self, database: Database, root: Path) -> None:
        self._db = database
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    # -- housekeeping ----------------------------------------------------------------------

    def remove_partial(self) -> int:
        """Temporary folders left by a crash or kill mid-import (never had a row); another
        process's import in progress is left alone."""
        return remove_abandoned(self.root)

    def _scratch(self) -> Path:
        return make_scratch(self.root)

    # -- import ----------------------------------------------------------------------------

    def import_path(
        self,
        source: Path,
        name: str = "",
        state: TaskState | None = None,
        *,
        skip_bad_lines: bool = False,
        strict_images: bool = False,
        origin: str | None = None,
    ) -> DatasetVersion:
        """Copy `source` into the store as version 1 of a new dataset.

        `origin` replaces the source path in the version's history (a sample's
        temporary folder means nothing to anyone later)."""
        source = Path(source)
        name = self._unique_name(name.strip() or _default_name(source))
        scratch = self._scratch()
        try:
            version_dir = scratch / "v1"
            version_dir.mkdir()
            with disk_space_said(f"the import of {source.name}", self.root):
                result = materialize(
                    source,
                    version_dir,
                    scratch / "work",
                    state,
                    skip_bad_lines=skip_bad_lines,
                    strict_images=strict_images,
                )
            operation = {
                "kind": "import",
                "source": origin or str(source.resolve()),
                "notes": result.notes,
            }
            with disk_space_said(f"the import of {source.name}", self.root):
                return self._commit(
                    scratch, version_dir, result.table, result.kind, name, None, operation, state
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _commit(
        self,
        scratch: Path,
        version_dir: Path,
        table: pa.Table,
        kind: str,
        name: str,
        dataset_id: str | None,
        operation: dict[str, Any],
        state: TaskState | None,
        parent: int | None = None,
    ) -> DatasetVersion:
        """Write data, checksum and statistics, rename into place, then add the row."""
        if state is not None:
            state.progress(0, None, "Writing Parquet and computing statistics")
        # Arrow releases the GIL: writing and statistics run side by side.
        with ThreadPoolExecutor(1, thread_name_prefix="parquet-writer") as pool:
            written = pool.submit(write_table, table, version_dir / DATA_FILE)
            stats = statistics.compute(table, kind=kind)
            sha256, size = written.result()
        if kind == "images":
            sha256, size = folder_checksum(version_dir)
        if state is not None:
            state.raise_if_cancelled()
        new_dataset = dataset_id is None
        dataset_id = dataset_id or f"ds-{uuid.uuid4().hex[:10]}"
        number = 1 if new_dataset else self._next_number(dataset_id)
        final = self.root / dataset_id / f"v{number}"
        final.parent.mkdir(exist_ok=True)
        version_dir.rename(final)
        try:
            with self._db.session() as session:
                if new_dataset:
                    session.add(DatasetRow(id=dataset_id, name=name, current_version=number))
                else:
                    existing = session.get(DatasetRow, dataset_id)
                    if existing is None:
                        raise NotFound(f"There is no dataset {dataset_id!r}.")
                    existing.current_version = number
                row = DatasetVersionRow(
                    dataset_id=dataset_id,
                    number=number,
                    parent=parent,
                    operation=operation,
                    kind=kind,
                    path=str(final),
                    sha256=sha256,
                    rows=table.num_rows,
                    bytes=size,
                    schema=[[f.name, str(f.type)] for f in table.schema],
                    stats=stats,
                )
                session.add(row)
                session.flush()
                return _version(row, name)
        except Exception:
            shutil.rmtree(final, ignore_errors=True)
            if new_dataset:
                shutil.rmtree(final.parent, ignore_errors=True)
            raise

    def _next_number(self, dataset_id: str) -> int:
        with self._db.session() as session:
            last = session.scalar(
                select(func.max(DatasetVersionRow.number)).where(
                    DatasetVersionRow.dataset_id == dataset_id
                )
            )
        return (last or 0) + 1

    def _unique_name(self, name: str) -> str:
        with self._db.session() as session:
            taken = set(session.scalars(select(DatasetRow.name)))
        if name not in taken:
            return name
        number = 2
        while f"{name} ({number})" in taken:
            number += 1
        return f"{name} ({number})"

    # -- reading ---------------------------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        with self._db.session() as session:
            rows = session.scalars(select(DatasetRow).order_by(DatasetRow.name)).all()
            return [self._dataset(session, row) for row in rows]

    def _dataset(self, session: Session, row: DatasetRow) -> Dataset:
        current = session.scalar(
            select(DatasetVersionRow).where(
                DatasetVersionRow.dataset_id == row.id,
                DatasetVersionRow.number == row.current_version,
            )
        )
        count = session.scalar(select(func.count()).where(DatasetVersionRow.dataset_id == row.id))
        if current is None:  # the row names a version that was never committed
            raise NotFound(f"{row.name} has no version {row.current_version}.")
        return Dataset(
            row.id,
            row.name,
            row.current_version,
            count or 0,
            row.created_at,
            row.last_used_at,
            _version(current, row.name),
        )

    def get(self, name: str) -> Dataset:
        """By name or id; the error lists what exists."""
        with self._db.session() as session:
            row = session.scalar(
                select(DatasetRow).where((DatasetRow.name == name) | (DatasetRow.id == name))
            )
            if row is None:
                names = ", ".join(session.scalars(select(DatasetRow.name))) or "none yet"
                raise NotFound(f"There is no dataset {name!r}.", f"Datasets: {names}.")
            return self._dataset(session, row)

    def versions(self, name: str) -> list[DatasetVersion]:
        dataset = self.get(name)
        with self._db.session() as session:
            rows = session.scalars(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == dataset.id)
                .order_by(DatasetVersionRow.number)
            )
            return [_version(row, dataset.name) for row in rows]

    def version(self, name: str, number: int | None = None) -> DatasetVersion:
        dataset = self.get(name)
        if number is None:
            return dataset.current
        for version in self.versions(name):
            if version.number == number:
                return version
        raise NotFound(
            f"{dataset.name} has no version {number}.",
            f"Its versions are 1 to {dataset.versions}.",
        )

    def read(self, version: DatasetVersion, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(version.data_file, columns=columns)

    # -- new versions ----------------------------------------------------------------------

    def derive(
        self,
        name: str,
        table: pa.Table,
        operation: dict[str, Any],
        state: TaskState | None = None,
        *,
        base: int | None = None,
    ) -> DatasetVersion:
        """A new version made from `base` (the current one by default) by `operation`."""
        parent = self.version(name, base)
        scratch = self._scratch()
        try:
            version_dir = scratch / "v"
            version_dir.mkdir()
            with disk_space_said(f"a new version of {parent.dataset_name}", self.root):
                if parent.kind == "images":
                    link_images(parent.path / IMAGES_DIR, version_dir / IMAGES_DIR)
                return self._commit(
                    scratch,
                    version_dir,
                    table,
                    parent.kind,
                    parent.dataset_name,
                    parent.dataset_id,
                    operation,
                    state,
                    parent=parent.number,
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def filter(
        self,
        name: str,
        options: FilterOptions,
        state: TaskState | None = None,
        *,
        base: int | None = None,
    ) -> DatasetVersion:
        """A new version keeping the rows `options` keeps."""
        parent = self.version(name, base)
        table = operations.apply_filters(self.read(parent), options)
        return self.derive(
            name, table, {"kind": "filter", **options.describe()}, state, base=parent.number
        )

    def split(
        self,
        name: str,
        fractions: dict[str, float],
        state: TaskState | None = None,
        *,
        seed: int = 42,
        stratify: str | None = None,
        base: int | None = None,
    ) -> DatasetVersion:
        """A new version with a `split` column (train / validation / test)."""
        parent = self.version(name, base)
        table = operations.split(self.read(parent), fractions, seed=seed, stratify=stratify)
        operation = {"kind": "split", **fractions, "seed": seed, "stratify": stratify}
        return self.derive(name, table, operation, state, base=parent.number)

    def diff(self, name: str, old: int, new: int) -> operations.Diff:
        return operations.diff(
            self.read(self.version(name, old)), self.read(self.version(name, new))
        )

    def set_current(self, name: str, number: int) -> Dataset:
        version = self.version(name, number)
        with self._db.session() as session:
            row = session.get(DatasetRow, version.dataset_id)
            if row is None:
                raise NotFound(f"There is no dataset {name!r}.")
            row.current_version = number
        return self.get(name)

    def jobs_using(self, name: str) -> list[str]:
        """Queued or running jobs whose spec points into this dataset's folder."""
        dataset = self.get(name)
        folder = str(self.root / dataset.id)
        with self._db.session() as session:
            rows = session.scalars(
                select(JobRow).where(JobRow.status.in_(["queued", "running", "paused"]))
            )
            return [
                row.name
                for row in rows
                if str(row.spec.get("dataset", {}).get("path", "")).startswith(folder)
            ]

    def delete(self, name: str) -> None:
        """Every version and its files (the caller has asked for confirmation)."""
        dataset = self.get(name)
        using = self.jobs_using(name)
        if using:
            raise UserError(
                f"{dataset.name} is used by {len(using)} queued or running job(s): "
                f"{', '.join(using[:5])}.",
                "Cancel those jobs or wait for them to finish, then delete it.",
            )
        folder = self.root / dataset.id
        doomed = self.root / f"{TEMP_PREFIX}deleting-{dataset.id}"
        if folder.exists():
            folder.rename(doomed)  # gone from view at once; a crash here is cleaned up at start
        with self._db.session() as session:
            session.delete(session.get(DatasetRow, dataset.id))
        shutil.rmtree(doomed, ignore_errors=True)

    def mark_used(self, dataset_path: str) -> None:
        """A job was submitted on a file of this store: remember when."""
        from app.db.models import utcnow

        try:
            relative = Path(dataset_path).resolve().relative_to(self.root.resolve())
        except ValueError:
            return
        with self._db.session() as session:
            row = session.get(DatasetRow, relative.parts[0])
            if row is not None:
                row.last_used_at = utcnow()

    # -- export ----------------------------------------------------------------------------

    def export(
        self,
        name: str,
        destination: Path,
        fmt: str,
        number: int | None = None,
        *,
        keep_formulas: bool = False,
    ) -> Path:
        """Write a version as CSV, JSONL or Parquet (see app/datasets/export.py)."""
        version = self.version(name, number)
        destination = Path(destination)
        if destination.is_dir():
            destination = destination / f"{_slug(version.dataset_name)}-v{version.number}.{fmt}"
        write_export(self.read(version), destination, fmt, keep_formulas=keep_formulas)
        return destination


def _default_name(source: Path) -> str:
    name = source.name
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return source.stem if source.is_file() else source.name


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "dataset"

"""Reading a dataset into rows, with errors that name the file, line and column."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from engine.data_columns import check_columns, spec_columns
from engine.data_files import DataFileError, read_rows
from engine.errors import DataError
from engine.spec import TrainingSpec

TABULAR = {".parquet", ".csv", ".tsv", ".json", ".jsonl"}


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """A data file or a folder of Parquet files, as a list of dicts: read by the same rules
    as the importer and the pre-submit check (engine/data_files.py)."""
    source = Path(path)
    try:
        _columns, rows = read_rows(source)
    except DataFileError as error:
        raise DataError(f"dataset.path: {error}") from error
    return _non_empty(rows, source)


def _non_empty(rows: list[dict[str, Any]], source: Path) -> list[dict[str, Any]]:
    if not rows:
        raise DataError(f"{source}: the dataset is empty")
    return rows


def require_columns(rows: list[dict[str, Any]], columns: dict[str, str], source: str) -> None:
    """`columns` maps a spec field (dataset.text_column) to the column it names; the rule is
    the pre-submit check's (engine/data_columns.py)."""
    try:
        check_columns(list(rows[0]), rows, columns, source)
    except DataFileError as error:
        raise DataError(str(error)) from error


def spec_columns_of(spec: TrainingSpec) -> dict[str, str]:
    """The columns the spec's recipe reads (a column named for two roles is an error)."""
    try:
        return spec_columns(spec.to_dict())
    except DataFileError as error:
        raise DataError(str(error)) from error


def split_indices(count: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded train / validation split; validation gets at least one row when asked for."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    size = 0 if fraction <= 0 or count < 2 else max(1, round(count * fraction))
    return sorted(order[size:]), sorted(order[:size])

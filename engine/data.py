"""Reading a dataset into rows, with errors that name the file, line and column."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from engine.errors import DataError

TABULAR = {".parquet", ".csv", ".tsv", ".json", ".jsonl"}


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """A data file or a folder of Parquet files, as a list of dicts."""
    source = Path(path)
    if not source.exists():
        raise DataError(f"dataset.path: {source} does not exist")
    if source.is_dir():
        parts = sorted(source.rglob("*.parquet"))
        if not parts:
            raise DataError(f"{source} holds no Parquet files")
        rows: list[dict[str, Any]] = []
        for part in parts:
            rows += _read_arrow(part)
        return _non_empty(rows, source)
    suffix = source.suffix.lower()
    if suffix == ".jsonl":
        return _non_empty(_read_jsonl(source), source)
    if suffix == ".json":
        return _non_empty(_read_json(source), source)
    if suffix in TABULAR:
        return _non_empty(_read_arrow(source), source)
    raise DataError(
        f"{source}: unsupported data file type {suffix or '(none)'}; "
        f"use one of {', '.join(sorted(TABULAR))}"
    )


def _read_arrow(path: Path) -> list[dict[str, Any]]:
    import pyarrow as pa

    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        else:
            from pyarrow import csv

            delimiter = "\t" if path.suffix == ".tsv" else ","
            table = csv.read_csv(
                path, parse_options=csv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
            )
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{path}: cannot read: {error}") from error
    return table.to_pylist()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}, line {number}: not valid JSON ({error.msg})") from error
            if not isinstance(row, dict):
                raise DataError(
                    f"{path}, line {number}: expected an object, found {type(row).__name__}"
                )
            rows.append(row)
    return rows


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path}, line {error.lineno}: not valid JSON ({error.msg})") from error
    if isinstance(data, dict):  # an object of columns
        columns = list(data.values())
        if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) > 1:
            raise DataError(f"{path}: an object must map column names to lists of equal length")
        return [dict(zip(data, values, strict=True)) for values in zip(*columns, strict=True)]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError(f"{path}: expected an array of objects or an object of columns")
    return data


def _non_empty(rows: list[dict[str, Any]], source: Path) -> list[dict[str, Any]]:
    if not rows:
        raise DataError(f"{source}: the dataset is empty")
    return rows


def require_columns(rows: list[dict[str, Any]], columns: dict[str, str], source: str) -> None:
    """`columns` maps a spec field (dataset.text_column) to the column it names."""
    present = set(rows[0])
    for spec_field, column in columns.items():
        if column not in present:
            raise DataError(
                f"{source}: no column {column!r} ({spec_field}); "
                f"columns are {', '.join(sorted(present))}"
            )
    for index, row in enumerate(rows):
        for spec_field, column in columns.items():
            if row.get(column) is None:
                raise DataError(
                    f"{source}, row {index + 1}: column {column!r} ({spec_field}) is empty"
                )


def split_indices(count: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded train / validation split; validation gets at least one row when asked for."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    size = 0 if fraction <= 0 or count < 2 else max(1, round(count * fraction))
    return sorted(order[size:]), sorted(order[:size])

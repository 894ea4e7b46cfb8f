"""A dataset's rows held column by column (Arrow), made into Python rows only when asked.

A million rows as Python dicts cost about 600 MB before the first step; the same rows
in Arrow cost what their text does, and a Parquet file is memory-mapped. Rows are read
by the same rules as the importer and the pre-submit check (engine/data_files.py).

Arrow holds a column of one kind of value. A JSON column whose values are nested
(`messages`) or of several kinds (1 in one row, "1" in another) is not made into Arrow:
its rows would not come back as they were written (nested objects gain the keys of
other rows, 1 becomes 1.0). Such a file keeps its rows as Python objects, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.data_files import DataFileError, csv_table, jsonl_objects, read_rows

CHUNK = 8_192
"""Rows converted at a time: a JSON file's rows are never all Python objects at once."""
_SCALARS = (str, int, float, bool)


class RowTable:
    """The rows of a data file, by position. Either an Arrow table or (for JSON that Arrow
    cannot hold exactly) a list of dicts; the callers cannot tell which."""

    def __init__(self, table: Any = None, rows: list[dict[str, Any]] | None = None) -> None:
        self._table, self._rows = _one_chunk(table), rows
        if table is not None:
            self.names: list[str] = list(table.schema.names)
        else:
            assert rows is not None
            self.names = list(rows[0]) if rows else []

    @property
    def columnar(self) -> bool:
        return self._table is not None

    def __len__(self) -> int:
        return self._table.num_rows if self._table is not None else len(self._rows or [])

    def take(self, indices: Sequence[int]) -> list[dict[str, Any]]:
        """The rows at `indices`, in that order, as dicts."""
        if self._table is None:
            assert self._rows is not None
            return [self._rows[i] for i in indices]
        return self._table.take(list(indices)).to_pylist()

    def chunks(self, size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
        """Every row in order, `size` at a time (only a chunk is ever Python objects)."""
        for start in range(0, len(self), size):
            if self._table is None:
                assert self._rows is not None
                yield self._rows[start : start + size]
            else:
                yield self._table.slice(start, size).to_pylist()

    def column(self, name: str) -> list[Any]:
        """One column's values as Python objects (None where a row lacks it)."""
        if self._table is None:
            return [row.get(name) for row in self._rows or []]
        if name not in self.names:
            return [None] * len(self)
        return self._table.column(name).to_pylist()


def _one_chunk(table: Any) -> Any:
    """The table in one contiguous chunk per column: taking a batch's rows from 123
    chunks (a million JSON lines) costs 4 ms, from one 17 µs: a small model's step would
    wait on it. Text past 2 GiB needs 64-bit offsets to be one chunk."""
    if table is None or all(column.num_chunks <= 1 for column in table.columns):
        return table
    import pyarrow as pa

    try:
        return table.combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowCapacityError):  # offsets overflow 32 bits
        wide = {pa.string(): pa.large_string(), pa.binary(): pa.large_binary()}
        schema = pa.schema([f.with_type(wide.get(f.type, f.type)) for f in table.schema])
        try:
            return table.cast(schema).combine_chunks()
        except (pa.ArrowInvalid, pa.ArrowCapacityError):  # nested text that large: as is
            return table


def read_table(path: Path) -> RowTable:
    """The rows of a data file or a folder of Parquet files; errors name the file and line."""
    if not path.exists():
        raise DataFileError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        return _parquet(path)
    if suffix in (".csv", ".tsv"):
        return RowTable(csv_table(path, tsv=suffix == ".tsv"))
    if suffix == ".jsonl":
        return _from_python(jsonl_objects(path))
    return _from_python(iter(read_rows(path)[1]))  # .json, or the reader's error for others


def _parquet(path: Path) -> RowTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    if not parts:
        raise DataFileError(f"{path} holds no Parquet files")
    tables = []
    for part in parts:
        try:
            tables.append(pq.read_table(part, memory_map=True))
        except (pa.ArrowInvalid, OSError) as error:
            raise DataFileError(f"{part}: cannot read: {error}") from None
    try:
        return RowTable(pa.concat_tables(tables, promote_options="default"))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # parts whose columns disagree: row by row
        return RowTable(rows=[row for table in tables for row in table.to_pylist()])


def _from_python(rows: Iterator[dict[str, Any]]) -> RowTable:
    """Arrow, a chunk at a time, while every column holds one scalar kind; else the rows."""
    import pyarrow as pa

    kinds: dict[str, type] = {}
    tables: list[Any] = []
    pending: list[dict[str, Any]] = []
    try:
        for row in rows:
            if not _same_kinds(row, kinds):
                return RowTable(rows=[*_back_to_rows(tables), *pending, row, *rows])
            pending.append(row)
            if len(pending) >= CHUNK:
                tables.append(_arrow(pending))
                pending = []
        if pending:
            tables.append(_arrow(pending))
            pending = []
        if not tables:
            return RowTable(rows=[])
        return RowTable(pa.concat_tables(tables, promote_options="default"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # e.g. an int past 64 bits
        return RowTable(rows=[*_back_to_rows(tables), *pending, *rows])


def _same_kinds(row: dict[str, Any], kinds: dict[str, type]) -> bool:
    for name, value in row.items():
        if value is None:
            continue
        kind = type(value)
        if kind not in _SCALARS or kinds.setdefault(name, kind) is not kind:
            return False
    return True


def _arrow(rows: list[dict[str, Any]]) -> Any:
    """A table of the rows with every key any of them has (from_pylist would take the first
    row's keys only); a key a row lacks is null there."""
    import pyarrow as pa

    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.table({name: pa.array([row.get(name) for row in rows]) for name in names})


def _back_to_rows(tables: list[Any]) -> list[dict[str, Any]]:
    """Tables converted so far, as rows again (their values were scalars: exact)."""
    return [row for table in tables for row in table.to_pylist()]

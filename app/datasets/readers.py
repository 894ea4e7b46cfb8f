"""Reading one source file into an Arrow table, with errors that name the file and line.

The fast path is pyarrow's multi-threaded readers. When one refuses a file, a
slow pass finds the exact line and says what is wrong with it; for JSONL the
person may choose to skip bad lines instead, and is told which.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from app.datasets.sniff import Encoding, detect_encoding
from app.errors import UserError
from app.tasks import TaskState
from engine.data_files import arrow_encoding, csv_delimiter

READ_BLOCK = 1 << 20
"""Arrow parses blocks of this size in parallel; bigger blocks only cost parallelism."""
HEAD_CHECK = 1 << 20
"""CSV: bytes checked for UTF-8 before Arrow reads (and checks) the rest."""
MAX_REPORTED_LINES = 20


@dataclass
class ReadResult:
    table: pa.Table
    notes: list[str] = field(default_factory=list)
    """What the person should know: a latin-1 fallback, skipped lines."""


class CountingFile(io.RawIOBase):
    """A file that reports bytes read as progress (and is a cancellation point)."""

    def __init__(self, path: Path, state: TaskState | None, offset: int, total: int) -> None:
        self._file = path.open("rb")
        self._state, self._offset, self._total = state, offset, total

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        if self._state is not None and count:
            self._offset += count
            self._state.progress(self._offset, self._total, "Reading")
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _stream(path: Path, state: TaskState | None, offset: int, total: int) -> io.BufferedReader:
    return io.BufferedReader(CountingFile(path, state, offset, total), READ_BLOCK)


def read_table(
    path: Path,
    kind: str,
    state: TaskState | None = None,
    *,
    skip_bad_lines: bool = False,
    offset: int = 0,
    total: int = 0,
) -> ReadResult:
    """`offset`/`total`: where this file sits in the bytes of the whole import (progress)."""
    total = total or path.stat().st_size
    if kind == "parquet":
        return ReadResult(_read_parquet(path))
    encoding = detect_encoding(path, HEAD_CHECK if kind in ("csv", "tsv") else None)
    notes = []
    if encoding.fallback:
        notes.append(f"{path.name} is not valid UTF-8: it was read as latin-1 (ISO-8859-1).")
    if kind in ("csv", "tsv"):
        result = _read_csv(path, kind, encoding, state, offset, total)
        binary = any(pa.types.is_binary(t) for t in result.table.schema.types)
        if encoding.name == "utf-8" and binary:
            # Arrow gives text that is not UTF-8 a binary column: read it all as latin-1.
            encoding = Encoding("latin-1", fallback=True)
            notes.append(f"{path.name} is not valid UTF-8: it was read as latin-1 (ISO-8859-1).")
            result = _read_csv(path, kind, encoding, state, offset, total)
    elif kind == "jsonl":
        result = _read_jsonl(path, encoding, state, offset, total, skip_bad_lines)
    elif kind == "json":
        result = _read_json(path, encoding)
    elif kind == "text":
        result = _read_lines(path, encoding)
    else:
        raise ValueError(kind)
    result.notes[:0] = notes
    if result.table.num_rows == 0:
        raise UserError(f"{path.name} holds no rows.")
    return result


# -- CSV / TSV ---------------------------------------------------------------------------------


def _delimiter(path: Path, kind: str, encoding: Encoding) -> str:
    return csv_delimiter(path, encoding, tsv=kind == "tsv")


def _read_csv(
    path: Path, kind: str, encoding: Encoding, state: TaskState | None, offset: int, total: int
) -> ReadResult:
    from pyarrow import csv as pa_csv

    delimiter = _delimiter(path, kind, encoding)
    read_options = pa_csv.ReadOptions(
        encoding=arrow_encoding(encoding),
        block_size=READ_BLOCK,
    )
    # Line breaks inside quoted values make Arrow find row ends the slow way
    # (and a fast read across such a break can go wrong without an error), so
    # only a file without a single quote character takes the fast way.
    parse_options = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=_has_quotes(path))
    try:
        with _stream(path, state, offset, total) as stream:
            table = pa_csv.read_csv(stream, read_options=read_options, parse_options=parse_options)
    except pa.ArrowInvalid as error:
        raise _csv_error(path, encoding, delimiter, error) from None
    notes = []
    if delimiter not in ",\t":
        notes.append(f"{path.name}: fields are separated by {delimiter!r}.")
    return ReadResult(table, notes)


def _has_quotes(path: Path) -> bool:
    """One memchr over the mapped file (about 10 GB/s); most files with quotes stop early."""
    import mmap

    if path.stat().st_size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b'"') >= 0


def _csv_error(path: Path, encoding: Encoding, delimiter: str, error: Exception) -> UserError:
    """Find the first ragged row with Python's csv module, to name its line."""
    with path.open(encoding=encoding.name, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, [])
        for row in reader:
            if row and len(row) != len(header):
                return UserError(
                    f"{path.name}, line {reader.line_num}: expected {len(header)} fields "
                    f"(as in the header), found {len(row)}.",
                    "Fix or remove that row; a field with the delimiter in it needs quotes.",
                )
    return UserError(f"{path.name}: cannot be read as CSV: {error}")


# -- JSON Lines --------------------------------------------------------------------------------


def _read_jsonl(
    path: Path,
    encoding: Encoding,
    state: TaskState | None,
    offset: int,
    total: int,
    skip_bad_lines: bool,
) -> ReadResult:
    from pyarrow import json as pa_json

    if encoding.name in ("utf-8", "utf-8-sig"):
        try:
            with _stream(path, state, offset, total) as stream:
                table = pa_json.read_json(
                    stream, read_options=pa_json.ReadOptions(block_size=READ_BLOCK)
                )
            return ReadResult(table)
        except pa.ArrowInvalid:
            pass  # find the line, or skip the bad ones, below
    rows, bad = [], []
    for number, row, problem in _json_lines(path, encoding):
        if problem is None:
            rows.append(row)
        elif skip_bad_lines:
            bad.append(number)
        else:
            raise UserError(
                f"{path.name}, line {number}: {problem}.",
                "Fix the line, or import again with “skip bad lines”.",
            )
    notes = []
    if bad:
        shown = ", ".join(map(str, bad[:MAX_REPORTED_LINES]))
        more = f" and {len(bad) - MAX_REPORTED_LINES} more" if len(bad) > MAX_REPORTED_LINES else ""
        notes.append(f"{path.name}: skipped {len(bad)} bad line(s): {shown}{more}.")
    return ReadResult(_table_from_rows(path, rows), notes)


def _json_lines(path: Path, encoding: Encoding) -> Iterator[tuple[int, Any, str | None]]:
    with path.open(
        encoding=encoding.name, errors="strict" if not encoding.fallback else "replace"
    ) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as error:
                yield number, None, f"not valid JSON ({error.args[0].split(':')[0]})"
                continue
            if not isinstance(row, dict):
                yield number, None, f"expected a JSON object, found {type(row).__name__}"
                continue
            yield number, row, None


# -- JSON --------------------------------------------------------------------------------------


def _read_json(path: Path, encoding: Encoding) -> ReadResult:
    text = path.read_text(encoding=encoding.name, errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(
            f"{path.name}, line {error.lineno}, column {error.colno}: "
            f"not valid JSON ({error.msg}).",
            "The file may be cut short; check that it ends properly.",
        ) from None
    if isinstance(data, list):
        for index, row in enumerate(data):
            if not isinstance(row, dict):
                raise UserError(
                    f"{path.name}, item {index + 1}: expected an object, found "
                    f"{type(row).__name__}.",
                    "A JSON dataset is an array of objects, or an object of equal-length arrays.",
                )
        return ReadResult(_table_from_rows(path, data))
    if isinstance(data, dict) and data and all(isinstance(c, list) for c in data.values()):
        lengths = {name: len(column) for name, column in data.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name}: {length}" for name, length in lengths.items())
            raise UserError(f"{path.name}: the columns have different lengths ({detail}).")
        try:
            return ReadResult(pa.table(data))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise UserError(f"{path.name}: mixed value types in a column: {error}") from None
    raise UserError(
        f"{path.name}: expected an array of objects or an object of columns.",
        "A JSON dataset is an array of objects, or an object of equal-length arrays.",
    )


def _table_from_rows(path: Path, rows: list[dict[str, Any]]) -> pa.Table:
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise UserError(f"{path.name}: mixed value types in a column: {error}") from None


# -- text and Parquet --------------------------------------------------------------------------


def _read_lines(path: Path, encoding: Encoding) -> ReadResult:
    with path.open(encoding=encoding.name, errors="replace") as handle:
        lines = [line.rstrip("\r\n") for line in handle]
    return ReadResult(pa.table({"text": [line for line in lines if line.strip()]}))


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise UserError(f"{path.name}: cannot be read as Parquet: {error}") from None

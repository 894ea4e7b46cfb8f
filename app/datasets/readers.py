"""Reading one source file into an Arrow table, with errors that name the file and line.

The fast path is pyarrow's multi-threaded readers. When one refuses a file, a
slow pass finds the exact line and says what is wrong with it; for JSONL the
person may choose to skip bad lines instead, and is told which. Text that is not
UTF-8 is first copied as UTF-8 line by line (engine/text_encoding.py), so every
reader sees UTF-8 and line numbers stay those of the source.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa

from app.datasets.csv_reader import read_csv
from app.datasets.json_reader import read_json, read_jsonl
from app.datasets.parquet_reader import read_parquet
from app.datasets.read_result import ReadResult, unique_names
from app.errors import UserError
from app.tasks import TaskState
from engine.text_encoding import Encoding, detect_encoding, transcode_to_utf8

HEAD_CHECK = 1 << 20
"""CSV: bytes checked for UTF-8 before Arrow reads (and checks) the rest."""

__all__ = ["ReadResult", "read_table"]


def read_table(
    path: Path,
    kind: str,
    scratch: Path,
    state: TaskState | None = None,
    *,
    skip_bad_lines: bool = False,
    offset: int = 0,
    total: int = 0,
) -> ReadResult:
    """`scratch`: a folder of ours for a UTF-8 copy; `offset`/`total`: where this file sits
    in the bytes of the whole import (progress)."""
    total = total or path.stat().st_size
    if kind == "parquet":
        result = read_parquet(path)
    else:
        result = _read_text(path, kind, scratch, state, skip_bad_lines, offset, total)
    if result.table.num_rows == 0:
        raise UserError(f"{path.name} holds no rows.")
    names, renamed = unique_names(result.table.column_names)
    if renamed:
        result.table = result.table.rename_columns(names)
        result.notes.append(f"{path.name}: renamed columns {renamed}.")
    return result


def _read_text(
    path: Path,
    kind: str,
    scratch: Path,
    state: TaskState | None,
    skip_bad_lines: bool,
    offset: int,
    total: int,
) -> ReadResult:
    encoding = detect_encoding(path, HEAD_CHECK if kind in ("csv", "tsv") else None)
    source, notes = path, []
    if encoding.fallback:
        source, encoding, note = _utf8_copy(path, scratch, encoding.name)
        notes.append(note)
    if kind in ("csv", "tsv"):
        result = read_csv(source, path.name, kind, encoding, state, offset, total)
        if source == path and any(pa.types.is_binary(t) for t in result.table.schema.types):
            # Arrow gives text that is not UTF-8 a binary column: past the first MiB then.
            source, encoding, note = _utf8_copy(path, scratch, None)
            notes.append(note)
            result = read_csv(source, path.name, kind, encoding, state, offset, total)
    elif kind == "jsonl":
        result = read_jsonl(source, path.name, encoding, state, offset, total, skip_bad_lines)
    elif kind == "json":
        result = read_json(source, path.name, encoding)
    elif kind == "text":
        result = _read_lines(source, encoding)
    else:
        raise ValueError(kind)
    result.notes[:0] = notes
    return result


def _utf8_copy(path: Path, scratch: Path, legacy: str | None) -> tuple[Path, Encoding, str]:
    scratch.mkdir(parents=True, exist_ok=True)
    copy = transcode_to_utf8(path, scratch / f"{uuid.uuid4().hex[:8]}-{path.name}", legacy)
    note = copy.note(path.name) or f"{path.name} was read as {copy.encoding}."
    return copy.path, Encoding("utf-8"), note


def _read_lines(path: Path, encoding: Encoding) -> ReadResult:
    with path.open(encoding=encoding.name, errors="strict") as handle:
        lines = [line.rstrip("\r\n") for line in handle]
    return ReadResult(pa.table({"text": [line for line in lines if line.strip()]}))

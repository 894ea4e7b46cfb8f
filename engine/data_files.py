"""One reader of a data file, for the importer's rules, the pre-submit check and the engine.

A CSV in latin-1 or separated by semicolons imports fine; before this module the
pre-submit check and the engine read it with other rules and training failed on
it. Now all three detect the encoding and the delimiter the same way, and read
rows the same way: the app's check reads the first rows, the engine all of them.

Standard library and pyarrow only (no torch), so app/ may import it.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.text_encoding import Encoding, detect_encoding

__all__ = ["DataFileError", "Encoding", "detect_encoding", "read_rows"]

SNIFF_BYTES = 65_536
DELIMITERS = ",;\t|"
TABULAR = {".parquet", ".csv", ".tsv", ".json", ".jsonl"}


class DataFileError(ValueError):
    """A data file that cannot be read as rows; the message names the file (and line)."""


def csv_delimiter(path: Path, encoding: Encoding, *, tsv: bool = False) -> str:
    """Tab for .tsv; otherwise what the first 64 KiB say (`,` `;` tab `|`), comma if unsure.

    Python's sniffer decides first; when it cannot, or names a character the header does
    not hold, the delimiter found the same number of times on most lines wins."""
    if tsv:
        return "\t"
    with path.open(encoding=encoding.name, errors="replace", newline="") as handle:
        sample = handle.read(SNIFF_BYTES)
    header = next((line for line in sample.splitlines() if line.strip()), "")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and sniffed in header:
        return sniffed
    return _consistent_delimiter(sample) or sniffed or ","


def _consistent_delimiter(sample: str) -> str | None:
    lines = [line for line in sample.splitlines() if line.strip()][:100]
    if len(lines) > 1 and len(sample) >= SNIFF_BYTES:
        lines.pop()  # cut short by the sample
    best, best_score = None, (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        if not counts or counts[0] == 0:
            continue
        score = (sum(count == counts[0] for count in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def arrow_encoding(encoding: Encoding) -> str:
    """Arrow's name for it (Arrow strips a UTF-8 BOM itself)."""
    return "utf8" if encoding.name in ("utf-8", "utf-8-sig") else encoding.name


def read_rows(path: Path, limit: int | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(column names, rows) of a data file or a folder of Parquet files; with `limit`, only
    the first rows are read, whatever the file's size. Errors name the file and line."""
    if not path.exists():
        raise DataFileError(f"{path} does not exist")
    if path.is_dir():
        parts = sorted(path.rglob("*.parquet"))
        if not parts:
            raise DataFileError(f"{path} holds no Parquet files")
        columns: list[str] = []
        rows: list[dict[str, Any]] = []
        for part in parts:
            columns, more = _parquet(part, None if limit is None else limit - len(rows))
            rows += more
            if limit is not None and len(rows) >= limit:
                break
        return columns, rows
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet(path, limit)
    if suffix in (".csv", ".tsv"):
        return _csv(path, limit, tsv=suffix == ".tsv")
    if suffix == ".jsonl":
        return _jsonl(path, limit)
    if suffix == ".json":
        return _json(path, limit)
    raise DataFileError(
        f"{path}: unsupported data file type {suffix or '(none)'}; "
        f"use one of {', '.join(sorted(TABULAR))}"
    )


def _parquet(path: Path, limit: int | None) -> tuple[list[str], list[dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        names = file.schema_arrow.names
        if limit is None:
            return names, file.read().to_pylist()
        if file.num_row_groups == 0 or limit <= 0:
            return names, []
        batch = next(file.iter_batches(batch_size=limit))  # the first rows, not a row group
    except (pa.ArrowInvalid, OSError) as error:
        raise DataFileError(f"{path}: cannot read: {error}") from None
    return names, batch.to_pylist()


def _csv(path: Path, limit: int | None, *, tsv: bool) -> tuple[list[str], list[dict[str, Any]]]:
    if limit is None:
        table = csv_table(path, tsv=tsv)
        return table.schema.names, table.to_pylist()
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    encoding = detect_encoding(path, SNIFF_BYTES)
    read_options, parse_options = _csv_options(path, encoding, tsv=tsv)
    try:
        reader = pa_csv.open_csv(path, read_options=read_options, parse_options=parse_options)
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return reader.schema.names, []
    except (pa.ArrowInvalid, OSError) as error:
        raise DataFileError(
            f"{path}: cannot read as CSV ({parse_options.delimiter!r}): {error}"
        ) from None
    return batch.schema.names, batch.slice(0, limit).to_pylist()


def csv_table(path: Path, *, tsv: bool = False) -> Any:
    """The whole CSV (or TSV) file as an Arrow table."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    read_options, parse_options = _csv_options(path, detect_encoding(path), tsv=tsv)
    try:
        return pa_csv.read_csv(path, read_options=read_options, parse_options=parse_options)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataFileError(
            f"{path}: cannot read as CSV ({parse_options.delimiter!r}): {error}"
        ) from None


def _csv_options(path: Path, encoding: Encoding, *, tsv: bool) -> tuple[Any, Any]:
    from pyarrow import csv as pa_csv

    delimiter = csv_delimiter(path, encoding, tsv=tsv)
    read_options = pa_csv.ReadOptions(encoding=arrow_encoding(encoding), block_size=1 << 20)
    parse_options = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    return read_options, parse_options


def _jsonl(path: Path, limit: int | None) -> tuple[list[str], list[dict[str, Any]]]:
    rows = list(itertools.islice(jsonl_objects(path), limit))
    return (list(rows[0]) if rows else []), rows


def jsonl_objects(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines file one by one; an error names the line."""
    encoding = detect_encoding(path, SNIFF_BYTES)
    with path.open(encoding=encoding.name, errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataFileError(
                    f"{path}, line {number}: not valid JSON ({error.msg})"
                ) from None
            if not isinstance(row, dict):
                raise DataFileError(
                    f"{path}, line {number}: expected an object, found {type(row).__name__}"
                )
            yield row


def _json(path: Path, limit: int | None) -> tuple[list[str], list[dict[str, Any]]]:
    encoding = detect_encoding(path)
    try:
        data = json.loads(path.read_text(encoding=encoding.name))
    except json.JSONDecodeError as error:
        raise DataFileError(f"{path}, line {error.lineno}: not valid JSON ({error.msg})") from None
    if isinstance(data, dict):  # an object of columns
        columns = list(data.values())
        if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) > 1:
            raise DataFileError(f"{path}: an object must map column names to lists of equal length")
        rows = [dict(zip(data, values, strict=True)) for values in zip(*columns, strict=True)]
        return list(data), rows[:limit] if limit is not None else rows
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataFileError(f"{path}: expected an array of objects or an object of columns")
    rows = data[:limit] if limit is not None else data
    return (list(rows[0]) if rows else []), rows


SPLITS = ("train", "validation", "test")
"""The values of a split column, as the Datasets pane's Split writes them."""
_SPLIT_NAMES = {
    **{name: name for name in SPLITS},
    "training": "train",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "testing": "test",
}


def split_names(rows: list[dict[str, Any]], column: str | None, source: str) -> list[str] | None:
    """Each row's split (train / validation / test) read from `column`, or None when there
    is no such column. One rule for the engine and the pre-submit check."""
    if not column or not rows or column not in rows[0]:
        return None
    return split_values([row.get(column) for row in rows], column, source)


def split_values(values: Iterable[Any], column: str, source: str) -> list[str]:
    """The split named by each of a split column's values (split_names, by column)."""
    names = []
    for number, value in enumerate(values, start=1):
        name = _SPLIT_NAMES.get(str(value).strip().lower()) if value is not None else None
        if name is None:
            raise DataFileError(
                f"{source}, row {number}: the split column {column!r} holds {value!r}; "
                f"it may hold only {', '.join(SPLITS)} (or set dataset.split_column to null)"
            )
        names.append(name)
    return names

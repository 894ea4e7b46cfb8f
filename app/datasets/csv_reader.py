"""CSV and TSV through Arrow's parallel reader, with the checks that keep it exact.

Arrow reads fast but, left alone, gets some files silently wrong: integers beyond
float precision become rounded floats, and a quote that is never closed swallows
the rest of the file into one field. Those cases are caught here after the fast
read (cheap checks that only look further when something is suspicious); a file
Arrow refuses is re-read with Python's csv module to name the line.
"""

from __future__ import annotations

import csv
import mmap
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.compute as pc

from app.datasets.read_result import READ_BLOCK, ReadResult, listed, stream
from app.errors import UserError
from app.tasks import TaskState
from engine.data_files import arrow_encoding, csv_delimiter
from engine.text_encoding import Encoding

MAX_ROW_BYTES = 256 * 1024**2
"""The largest single row (one field of it included) a CSV may hold; stated in the README."""
EXACT_FLOAT = 2**53
"""Above this a float no longer holds every integer: such a column is checked."""
ERROR_SCAN_BYTES = 64 * 1024**2
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # Python's default 128 KiB is no limit of ours


def read_csv(
    path: Path,
    name: str,
    kind: str,
    encoding: Encoding,
    state: TaskState | None,
    offset: int,
    total: int,
) -> ReadResult:
    """`path` is what is read (maybe a UTF-8 copy); `name` is the file the person chose."""
    from pyarrow import csv as pa_csv

    delimiter = csv_delimiter(path, encoding, tsv=kind == "tsv")
    quotes = _has_quotes(path)
    # Line breaks inside quoted values make Arrow find row ends the slow way
    # (and a fast read across such a break can go wrong without an error), so
    # only a file without a single quote character takes the fast way.
    parse_options = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=quotes)
    block = READ_BLOCK
    table: pa.Table | None = None
    while table is None:
        read_options = pa_csv.ReadOptions(encoding=arrow_encoding(encoding), block_size=block)
        try:
            with stream(path, state, offset, total, block) as source:
                table = pa_csv.read_csv(
                    source, read_options=read_options, parse_options=parse_options
                )
        except pa.ArrowInvalid as error:
            if "straddl" in str(error) and block < MAX_ROW_BYTES:
                block *= 4  # one row larger than a block: read in larger blocks
                continue
            if "straddl" in str(error):
                raise UserError(
                    f"{name}: a row is larger than {MAX_ROW_BYTES // 1024**2} MiB; refused.",
                    "Split the long values into files of their own, or use Parquet.",
                ) from None
            raise _csv_error(path, name, encoding, delimiter, error) from None
    if quotes:
        _check_quotes_closed(path, name, encoding, delimiter, table)
    notes = []
    if delimiter not in ",\t":
        notes.append(f"{name}: fields are separated by {delimiter!r}.")
    table, exact = _exact_integers(path, encoding, parse_options, table)
    if exact:
        notes.append(
            f"{name}: column(s) {listed([repr(c) for c in exact])} hold integers too large "
            "to store exactly as numbers; they were kept exactly, as text."
        )
    return ReadResult(table, notes)


def _has_quotes(path: Path) -> bool:
    """One memchr over the mapped file (about 10 GB/s); most files with quotes stop early."""
    if path.stat().st_size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b'"') >= 0


def _exact_integers(
    path: Path, encoding: Encoding, parse_options: Any, table: pa.Table
) -> tuple[pa.Table, list[str]]:
    """A float column whose file text holds an integer a float cannot hold exactly
    (12345678901234567890123 → 1.2345678901234568e+22) is read again as text."""
    from pyarrow import csv as pa_csv

    names = table.column_names
    suspects = [
        column_name
        for column_name, column in zip(names, table.columns, strict=True)
        if pa.types.is_floating(column.type)
        and names.count(column_name) == 1
        and (pc.max(pc.abs(column)).as_py() or 0) >= EXACT_FLOAT
    ]
    if not suspects:
        return table, []
    texts = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(encoding=arrow_encoding(encoding)),
        parse_options=parse_options,
        convert_options=pa_csv.ConvertOptions(
            include_columns=suspects, column_types=dict.fromkeys(suspects, pa.string())
        ),
    )
    exact = []
    for column_name in suspects:
        text = texts[column_name]
        integers = pc.drop_null(text.filter(pc.match_substring_regex(text, _INTEGER.pattern)))
        if any(abs(int(value)) > EXACT_FLOAT for value in integers.to_pylist()):
            table = table.set_column(names.index(column_name), column_name, text)
            exact.append(column_name)
    return table, exact


def _check_quotes_closed(
    path: Path, name: str, encoding: Encoding, delimiter: str, table: pa.Table
) -> None:
    """A quote never closed makes Arrow put the rest of the file into the last row's field:
    when that row has a line break in a value, Python's strict reader says whether the
    file ends inside quotes, and where that field began."""
    if table.num_rows == 0:
        return
    last = table.slice(table.num_rows - 1)
    if not any(
        "\n" in (column[0].as_py() or "")
        for column in last.columns
        if pa.types.is_string(column.type)
    ):
        return
    with path.open(encoding=encoding.name, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        ended = 0
        try:
            for _row in reader:
                ended = reader.line_num
        except csv.Error as error:
            if "unexpected end of data" not in str(error):
                return
            handle.seek(0)
            line = ended + 1 + _open_quote_offset(handle, ended, delimiter)
            raise UserError(
                f"{name}, line {line}: a quoted value starts there and its quote is never "
                "closed, so the rest of the file would become one value; refused.",
                'Close the quote, or double a quote that is part of the value ("").',
            ) from None


def _open_quote_offset(handle: TextIO, skip: int, delimiter: str) -> int:
    """Lines from the unfinished row's first line to the quote that is never closed."""
    lines = iter(handle)
    for _ in range(skip):
        next(lines, None)
    text = "".join(_bounded(lines))
    position = 0
    while position < len(text):
        if text[position] == '"':
            closing = position + 1
            while True:
                closing = text.find('"', closing)
                if closing < 0:
                    return text.count("\n", 0, position)
                if text.startswith('""', closing):
                    closing += 2
                    continue
                break
            position = closing + 1
        ends = [i for i in (text.find(delimiter, position), text.find("\n", position)) if i >= 0]
        if not ends:
            break
        position = min(ends) + 1
    return 0


def _bounded(lines: Iterator[str]) -> Iterator[str]:
    size = 0
    for line in lines:
        yield line
        size += len(line)
        if size > ERROR_SCAN_BYTES:
            return


def _csv_error(
    path: Path, name: str, encoding: Encoding, delimiter: str, error: Exception
) -> UserError:
    """Find the first ragged row with Python's csv module, to name its line."""
    with path.open(encoding=encoding.name, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header: list[str] = []
        for row in reader:
            if not row:
                continue  # blank lines: Arrow skips them too
            if not header:
                header = row
                continue
            if len(row) != len(header):
                start = reader.line_num - sum(field.count("\n") for field in row)
                spans = start != reader.line_num
                hint = (
                    f"The row starting on line {start} runs over several lines: a quote "
                    "opened there may not be closed."
                    if spans
                    else "Fix or remove that row; a field with the delimiter in it needs quotes."
                )
                return UserError(
                    f"{name}, line {start}: expected {len(header)} fields (as in the header), "
                    f"found {len(row)}.",
                    hint,
                )
    return UserError(f"{name}: cannot be read as CSV: {error}")

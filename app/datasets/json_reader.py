"""JSON and JSON Lines: Arrow's reader when it is safe and exact, Python's otherwise.

Arrow's JSON reader is fast, but it turns integers beyond 64 bits into rounded
floats, and a line nested deeply enough overflows its parser's stack (the process
dies with signal 11). So a file with a line that opens more than
`ARROW_SAFE_OPENERS` brackets, or whose result is suspicious, is read by Python's
json module, which keeps every integer exact and turns deep nesting into an
error we can name. The columns are the union of every record's keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.datasets.read_result import READ_BLOCK, BadLine, ReadResult, listed, stream
from app.errors import UserError
from app.tasks import TaskState
from engine.text_encoding import Encoding

MAX_DEPTH = 64
"""Deepest nesting of objects and lists a dataset may have (a row is level 1)."""
ARROW_SAFE_OPENERS = 1_000
"""Arrow's parser recurses per level; a line opening fewer brackets cannot overflow it."""
INT64 = 2**63
EXACT_FLOAT = 2**53
CHUNK = 16 << 20

Where = Callable[[int], str]


def read_jsonl(
    path: Path,
    name: str,
    encoding: Encoding,
    state: TaskState | None,
    offset: int,
    total: int,
    skip_bad_lines: bool,
) -> ReadResult:
    if encoding.name in ("utf-8", "utf-8-sig") and most_openers_per_line(path) < (
        ARROW_SAFE_OPENERS
    ):
        table = _arrow_jsonl(path, state, offset, total)
        if table is not None:
            return ReadResult(table)
    numbers, rows, bad = [], [], []
    for number, row, problem in _json_lines(path, encoding):
        if problem is None:
            numbers.append(number)
            rows.append(row)
        elif skip_bad_lines:
            bad.append(number)
        else:
            raise BadLine(
                f"{name}, line {number}: {problem}.",
                "Fix the line, or import it again and skip bad lines (the window offers "
                "it; `dataset import --skip-bad-lines` on the command line).",
            )
    result = records_table(name, rows, lambda index: f"line {numbers[index]}")
    if bad:
        result.notes.append(f"{name}: skipped {len(bad)} bad line(s): {listed(bad)}.")
    return result


def _arrow_jsonl(path: Path, state: TaskState | None, offset: int, total: int) -> pa.Table | None:
    """Arrow's table, or None when Python must read the file (an error to name, a float
    that may have been an exact integer, nesting deeper than we keep)."""
    from pyarrow import json as pa_json

    try:
        with stream(path, state, offset, total) as source:
            table = pa_json.read_json(
                source, read_options=pa_json.ReadOptions(block_size=READ_BLOCK)
            )
    except pa.ArrowInvalid:
        return None
    for column in table.columns:
        if _type_depth(column.type) > MAX_DEPTH - 1:
            return None
        if pa.types.is_floating(column.type) and (
            (pc.max(pc.abs(column)).as_py() or 0) >= EXACT_FLOAT
        ):
            return None
    return table


def _type_depth(kind: pa.DataType) -> int:
    if pa.types.is_struct(kind):
        return 1 + max((_type_depth(kind.field(i).type) for i in range(kind.num_fields)), default=0)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return 1 + _type_depth(kind.value_type)
    return 0


def most_openers_per_line(path: Path) -> int:
    """The most `[` and `{` on any one line: an upper bound of its nesting, counted with
    numpy a chunk at a time (a bracket inside a string counts too; that only errs safe)."""
    import numpy as np

    most = carry = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            data = np.frombuffer(chunk, np.uint8)
            opened = np.cumsum((data == 0x5B) | (data == 0x7B), dtype=np.int64)
            ends = np.flatnonzero(data == 0x0A)
            if ends.size:
                at = opened[ends]
                per_line = np.diff(at, prepend=0)
                per_line[0] += carry
                most = max(most, int(per_line.max()))
                carry = int(opened[-1] - at[-1])
            else:
                carry += int(opened[-1])
            most = max(most, carry)
    return most


def _json_lines(path: Path, encoding: Encoding) -> Iterator[tuple[int, Any, str | None]]:
    with path.open(encoding=encoding.name, errors="strict") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except RecursionError:
                yield number, None, f"nested more than {MAX_DEPTH} levels deep"
                continue
            except ValueError as error:
                yield number, None, f"not valid JSON ({str(error).split(':')[0]})"
                continue
            if not isinstance(row, dict):
                yield number, None, f"expected a JSON object, found {type(row).__name__}"
                continue
            if depth(row) > MAX_DEPTH:
                yield number, None, f"nested more than {MAX_DEPTH} levels deep"
                continue
            yield number, row, None


def read_json(path: Path, name: str, encoding: Encoding) -> ReadResult:
    text = path.read_text(encoding=encoding.name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(
            f"{name}, line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}).",
            "The file may be cut short; check that it ends properly.",
        ) from None
    except RecursionError:
        raise UserError(
            f"{name}, line {_deep_line(text)}: nested more than {MAX_DEPTH} levels deep; refused."
        ) from None
    except ValueError as error:  # an integer of more than 4,300 digits
        found = re.search(r"\d{4300,}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else "?"
        raise UserError(f"{name}, line {line}: {error}.") from None
    if isinstance(data, list):
        for index, row in enumerate(data):
            if not isinstance(row, dict):
                raise UserError(
                    f"{name}, item {index + 1}: expected an object, found {type(row).__name__}.",
                    "A JSON dataset is an array of objects, or an object of equal-length arrays.",
                )
            if depth(row) > MAX_DEPTH:
                raise UserError(
                    f"{name}, item {index + 1}: nested more than {MAX_DEPTH} levels deep; refused."
                )
        return records_table(name, data, lambda index: f"item {index + 1}")
    if isinstance(data, dict) and data and all(isinstance(c, list) for c in data.values()):
        lengths = {column: len(values) for column, values in data.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{column}: {length}" for column, length in lengths.items())
            raise UserError(f"{name}: the columns have different lengths ({detail}).")
        if depth(data) > MAX_DEPTH:
            raise UserError(f"{name}: nested more than {MAX_DEPTH} levels deep; refused.")
        columns = list(data.values())
        rows = [dict(zip(data, values, strict=True)) for values in zip(*columns, strict=True)]
        return records_table(name, rows, lambda index: f"item {index + 1} of each column")
    raise UserError(
        f"{name}: expected an array of objects or an object of columns.",
        "A JSON dataset is an array of objects, or an object of equal-length arrays.",
    )


def depth(value: Any) -> int:
    """Levels of objects and lists, without recursion; stops counting past MAX_DEPTH."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def _deep_line(text: str) -> int:
    """The line where the nesting passes MAX_DEPTH (brackets inside strings skipped)."""
    level, inside, escaped, line = 0, False, False, 1
    for character in text:
        if character == "\n":
            line += 1
        if inside:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                inside = False
        elif character == '"':
            inside = True
        elif character in "[{":
            level += 1
            if level > MAX_DEPTH:
                return line
        elif character in "]}":
            level -= 1
    return line


def records_table(name: str, records: list[dict[str, Any]], where: Where) -> ReadResult:
    """A table whose columns are the union of every record's keys, in order of first
    appearance (a key a record lacks is null there); integers beyond 64 bits keep every
    digit as text; a column of mixed types is refused naming two records that differ."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    arrays, notes, partial, exact = [], [], [], []
    for column in columns:
        values = [record.get(column) for record in records]
        if any(column not in record for record in records):
            partial.append(column)
        if any(type(v) is int and not -INT64 <= v < INT64 for v in values):
            values = [_number_text(value) for value in values]
            exact.append(column)
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            raise _mixed_types(name, column, values, where, error) from None
    if partial:
        notes.append(
            f"{name}: column(s) {listed([repr(c) for c in partial])} are missing from some "
            "records (left empty there)."
        )
    if exact:
        notes.append(
            f"{name}: column(s) {listed([repr(c) for c in exact])} hold integers beyond 64 "
            "bits; kept exactly, as text."
        )
    return ReadResult(pa.Table.from_arrays(arrays, names=columns), notes)


def _number_text(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return json.dumps(value)


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _mixed_types(
    name: str, column: str, values: list[Any], where: Where, error: Exception
) -> UserError:
    first = next(((i, _kind(v)) for i, v in enumerate(values) if v is not None), None)
    if first is not None:
        for index, value in enumerate(values):
            kind = _kind(value)
            if kind is not None and kind != first[1]:
                return UserError(
                    f"{name}, {where(index)}: column {column!r} holds {kind} there but "
                    f"{first[1]} in {where(first[0])}.",
                    "A column needs one type of value; fix the record, or quote the numbers.",
                )
    return UserError(f"{name}: column {column!r} holds values of mixed types ({error}).")

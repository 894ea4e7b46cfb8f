"""Generated files for the import-fidelity tests (issue #16), one per class of problem.

Each case writes its file at run time (nothing large is kept in the repository) and
says what must happen: the rows a reference reader gets from the same bytes (Python's
csv and json modules, pyarrow.parquet), or a refusal whose message names the place.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Case:
    name: str
    """The file (or folder) name as the person sees it."""
    make: Callable[[Path], None]
    """Writes the file at the given path."""
    rows: list[dict[str, Any]] | None = None
    """The reference reading, or None when the import must be refused."""
    refused: tuple[str, ...] = ()
    """Text the refusal must contain (the file and the line / item / member)."""
    notes: tuple[str, ...] = ()
    """Text the import summary must contain."""
    options: dict[str, Any] = field(default_factory=dict)


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def csv_rows(data: bytes, encoding: str, delimiter: str = ",") -> list[dict[str, Any]]:
    """The reference reading of a CSV: Python's csv module on the known encoding."""
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    return [dict(zip(header, row, strict=True)) for row in reader if row]


BIG = 12345678901234567890123
CP1252_TEXT = "id,text\n1,He said “hello” – it costs €5\n2,naïve café — ‘quoted’\n"
PIPE = "name|city|score\nAna|Lisbon, PT|3\nBo|Oslo|4\nCy|Rome|5\n"
LATE_LATIN1 = (
    "word,n\n" + "".join(f"café {i},{i}\n" for i in range(120_000))
).encode() + "crème brûlée,1\n".encode("latin-1")


def _utf32(path: Path) -> None:
    path.write_bytes("word\tn\ncafé\t1\nñandú\t2\n".encode("utf-32"))


def _big_field(path: Path) -> None:
    path.write_text("id,blob\n1," + "x" * (3 << 20) + "\n2,small\n", encoding="utf-8")


def _deep_jsonl(path: Path) -> None:
    deep = '{"a": ' + "[" * 200_000 + "]" * 200_000 + "}"
    path.write_text('{"a": [1]}\n' + deep + "\n", encoding="utf-8")


def _deep_json(path: Path) -> None:
    path.write_text('[{"a": 1},\n{"a": ' + "[" * 5_000 + "]" * 5_000 + "}]", encoding="utf-8")


CASES = [
    Case(
        "big-integers.csv",
        _bytes(f"id,n\n{BIG},1\n5,2\n".encode()),
        rows=[{"id": str(BIG), "n": "1"}, {"id": "5", "n": "2"}],
        notes=("'id'", "too large"),
    ),
    Case(
        "big-integers.json",
        _bytes(json.dumps([{"id": BIG, "n": 1}, {"id": 5, "n": 2}]).encode()),
        rows=[{"id": str(BIG), "n": 1}, {"id": "5", "n": 2}],
        notes=("'id'", "beyond 64 bits"),
    ),
    Case(
        "big-integers.jsonl",
        _bytes(f'{{"id": {BIG}}}\n{{"id": 5}}\n'.encode()),
        rows=[{"id": str(BIG)}, {"id": "5"}],
        notes=("'id'", "beyond 64 bits"),
    ),
    Case(
        "windows-1252.csv",
        _bytes(CP1252_TEXT.encode("cp1252")),
        rows=csv_rows(CP1252_TEXT.encode("cp1252"), "cp1252"),
        notes=("cp1252",),
    ),
    Case(
        "late-latin1.csv",
        _bytes(LATE_LATIN1),
        rows=[
            *csv_rows(LATE_LATIN1[: LATE_LATIN1.rindex(b"cr")], "utf-8"),
            {"word": "crème brûlée", "n": "1"},
        ],
        notes=("line(s) 120002", "the rest is UTF-8"),
    ),
    Case(
        "unterminated.csv",
        _bytes(b'a,b\n1,x\n2,"never closed\n3,y\n4,z\n'),
        refused=("unterminated.csv, line 3", "never closed"),
    ),
    Case(
        "pipes.csv",
        _bytes(PIPE.encode()),
        rows=csv_rows(PIPE.encode(), "utf-8", "|"),
        notes=("'|'",),
    ),
    Case(
        "late-keys.json",
        _bytes(json.dumps([{"a": 1}, {"a": 2, "b": "x"}, {"c": True}]).encode()),
        rows=[
            {"a": 1, "b": None, "c": None},
            {"a": 2, "b": "x", "c": None},
            {"a": None, "b": None, "c": True},
        ],
        notes=("'a', 'b', 'c'", "missing from some records"),
    ),
    Case(
        "extra-key.jsonl",
        _bytes(b'{"a": 1}\n{"a": 2, "b": "x"}\nnot json\n'),
        rows=[{"a": 1, "b": None}, {"a": 2, "b": "x"}],
        notes=("'b'", "skipped 1 bad line(s): 3"),
        options={"skip_bad_lines": True},
    ),
    Case(
        "duplicate-names.csv",
        _bytes(b"id,id,,,id.1\n1,2,3,4,5\n"),
        rows=[{"id": "1", "id.2": "2", "column_3": "3", "column_4": "4", "id.1": "5"}],
        notes=("renamed columns", "'id' (column 2) → 'id.2'", "column_3"),
    ),
    Case(
        "big-field.csv",
        _big_field,
        rows=[{"id": "1", "blob": "x" * (3 << 20)}, {"id": "2", "blob": "small"}],
    ),
    Case(
        "overflow.json",
        _bytes(b'[{"a": 1},\n{"a": ' + b"9" * 5000 + b"}]"),
        refused=("overflow.json, line 2",),
    ),
    Case(
        "deep.json",
        _deep_json,
        refused=("deep.json, line 2", "nested more than 64 levels"),
    ),
    Case(
        "deep.jsonl",
        _deep_jsonl,
        refused=("deep.jsonl, line 2", "nested more than 64 levels"),
    ),
    Case(
        "mixed.jsonl",
        _bytes(b'{"a": 1}\n{"a": 2}\n\n{"a": "three"}\n'),
        refused=("mixed.jsonl, line 4", "column 'a' holds text", "a number in line 1"),
    ),
    Case(
        "mixed.json",
        _bytes(b'[{"a": 1},\n {"a": [2]}]'),
        refused=("mixed.json, item 2", "column 'a' holds a list"),
    ),
    Case(
        "blank-lines-first.csv",
        _bytes(b"\n\na,b\n1,2\n3\n"),
        refused=("blank-lines-first.csv, line 5", "expected 2 fields"),
    ),
    Case(
        "utf-32.tsv",
        _utf32,
        rows=[{"word": "café", "n": "1"}, {"word": "ñandú", "n": "2"}],
    ),
    Case(
        "bom-utf8.csv",
        _bytes(codecs.BOM_UTF8 + "a,b\né,1\n".encode()),
        rows=[{"a": "é", "b": "1"}],
    ),
]

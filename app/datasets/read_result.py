"""What every reader returns, the progress-counting stream they read through, and the
column-name rule they share."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from app.errors import UserError
from app.tasks import TaskState

READ_BLOCK = 1 << 20
"""Arrow parses blocks of this size in parallel; bigger blocks only cost parallelism."""
SHOWN = 20
"""Lines, columns or files named in one note; the rest are counted."""


class BadLine(UserError):  # noqa: N818 - reads as what was found
    """A line the reader cannot use, in a format where the person may choose to skip such
    lines (named in the import's notes) and import the rest: the window offers that."""


@dataclass
class ReadResult:
    table: pa.Table
    notes: list[str] = field(default_factory=list)
    """What the person should know: an encoding detected, skipped lines, renamed columns."""


def listed(items: list[Any], limit: int = SHOWN) -> str:
    shown = ", ".join(map(str, items[:limit]))
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def unique_names(names: list[str]) -> tuple[list[str], str]:
    """Empty header names become `column_N` (N its 1-based position) and repeated ones get
    pandas' `.1`, `.2` suffixes, never taking a name the file already has; also a summary
    of what was renamed ("" when nothing was)."""
    taken = set(names)
    seen: set[str] = set()
    out, renamed = [], []
    for position, name in enumerate(names, start=1):
        base = name if name.strip() else f"column_{position}"
        candidate, suffix = base, 0
        while candidate in seen or (candidate != name and candidate in taken):
            suffix += 1
            candidate = f"{base}.{suffix}"
        seen.add(candidate)
        out.append(candidate)
        if candidate != name:
            shown = repr(name) if name.strip() else "an empty name"
            renamed.append(f"{shown} (column {position}) → {candidate!r}")
    return out, listed(renamed)


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


def stream(
    path: Path, state: TaskState | None, offset: int, total: int, block: int = READ_BLOCK
) -> io.BufferedReader:
    return io.BufferedReader(CountingFile(path, state, offset, total), block)

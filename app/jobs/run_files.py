"""Reading a run directory's files from the app side: the engine's log and its events."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from app.jobs.render import ProgressThinning, format_event
from engine.protocol import (
    CHECKPOINTS_DIR,
    ENGINE_LOG,
    EVENTS_FILE,
    complete_checkpoints,
    scan_events,
)

__all__ = [
    "ENGINE_LOG",
    "EVENTS_FILE",
    "ProgressThinning",
    "checkpoint_folders",
    "event_line",
    "log_events",
    "read_from",
]

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}

FIRST_READ = 2 << 20
"""On opening, only the last 2 MiB of a long log are read."""


def log_events(
    events_file: Path, keep: int = 20_000, thinning: ProgressThinning | None = None
) -> tuple[list[tuple[int, str]], float]:
    """The run's events as the readable log `job logs` prints, with each line's level
    (only the last `keep` of a long run), and the time of the last one. `thinning` goes on
    to thin the live events that follow."""
    lines: deque[tuple[int, str]] = deque(maxlen=keep)
    last = 0.0
    thinning = thinning or ProgressThinning()
    for event in scan_events(events_file):
        last = float(event.get("time", last))
        if thinning.keep(event):
            lines.append(event_line(event))
    return list(lines), last


def event_line(event: dict[str, Any]) -> tuple[int, str]:
    """(level, line): a `log` event keeps its level, a failure is an error."""
    kind = event.get("event")
    if kind == "log":
        level = LEVELS.get(str(event.get("level", "info")).upper(), 20)
    else:
        level = 40 if kind == "failed" else 20
    return level, format_event(event)


def read_from(path: Path, offset: int) -> tuple[int, str]:
    """(new offset, text) of what follows `offset`; a shorter file starts again at 0."""
    try:
        size = path.stat().st_size
    except OSError:
        return offset, ""
    if size < offset:
        offset = 0
    if offset == 0 and size > FIRST_READ:
        offset = size - FIRST_READ
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(size - offset)
    cut = data.rfind(b"\n") + 1  # a half-written last line waits for the next read
    return offset + cut, data[:cut].decode("utf-8", errors="replace")


def checkpoint_folders(run_dir: Path) -> list[Path]:
    """A run's complete checkpoints, oldest first (a partial one is never listed)."""
    return complete_checkpoints(run_dir / CHECKPOINTS_DIR)

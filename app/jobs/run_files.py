"""Reading a run directory's files from the app side: the engine's log and its events."""

from __future__ import annotations

from pathlib import Path

from engine.protocol import ENGINE_LOG, EVENTS_FILE, scan_events

__all__ = ["ENGINE_LOG", "EVENTS_FILE", "event_line", "log_events", "read_from"]

FIRST_READ = 2 << 20
"""On opening, only the last 2 MiB of a long log are read."""


def log_events(events_file: Path) -> list[str]:
    """The engine's `log` events so far, as lines (a finished job shows them too)."""
    return [event_line(event) for event in scan_events(events_file, "log")]


def event_line(event: dict) -> str:
    level = str(event.get("level", "info")).upper()
    return f"engine {level} event: {event.get('message', '')}"


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

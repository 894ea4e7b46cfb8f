"""The engine ↔ GUI protocol: events out, control commands in (DESIGN.md §3).

Standard library only. Every event is appended and flushed to
`RUN_DIR/events.jsonl` first, then copied to stdout; a broken stdout only
ends the copy. Commands are read from `RUN_DIR/control.jsonl` (and stdin when
asked), polled between steps.
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

EVENTS_FILE = "events.jsonl"
CONTROL_FILE = "control.jsonl"
HEARTBEAT_FILE = "heartbeat"
"""Touched every HEARTBEAT_S by a thread of the engine: it is alive and scheduled, even in
a long setup that writes no events (a SIGSTOPped or frozen engine stops touching it)."""
HEARTBEAT_S = 5.0
ENGINE_LOG = "engine.log"
CHECKPOINTS_DIR = "checkpoints"
OUTPUT_DIR = "output"
"""A job's trained model in its run directory (the app sets output_dir to RUN_DIR/output)."""
CHECKPOINT_PREFIX = "checkpoint-"
CHECKPOINT_PROGRESS = "progress.json"
"""Written last into a checkpoint folder: a folder without it is not a checkpoint."""
READ_CHUNK_BYTES = 512 << 10
"""One bounded read of events.jsonl: about 2,500 metric events, parsed and stored in
well under a second even on a busy machine."""

EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "started": ("job_id", "pid", "device", "total_steps", "resumed_from_step"),
    "metric": ("step", "epoch", "values"),
    "eval": ("step", "values"),
    "checkpoint": ("step", "path"),
    "log": ("level", "message"),
    "sample": ("step", "split", "rows"),
    "paused": ("step",),
    "resumed": ("step",),
    "stopped": ("step", "checkpoint"),
    "completed": ("step", "output_path", "final"),
    "failed": ("kind", "error", "traceback"),
    "progress": ("phase", "done", "total"),
}
FAILURE_KINDS = ("oom", "data", "config", "network", "internal")
COMMANDS = ("pause", "resume", "stop", "checkpoint")

PAUSE_AT_ENV = "SPARKTRAINER_ENGINE_TEST_PAUSE_AT_STEP"
"""Test hook: the engine pauses itself after this step, as if told to, so a test controls
it at a known step however fast or slow the machine is (no race with a poller)."""

REDACT_ENV = "SPARKTRAINER_REDACT_ENV"
"""Comma-separated names of environment variables holding secrets: their values never
appear in an event or in engine.log."""
REDACTED = "[redacted]"

EXIT_COMPLETED = 0
EXIT_FAILED = 1
EXIT_INVALID_SPEC = 2
EXIT_STOPPED = 3


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (a diverged loss still reports)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def make_event(name: str, **fields: Any) -> dict[str, Any]:
    if name not in EVENT_FIELDS:
        raise ValueError(f"unknown event {name!r}")
    missing = [f for f in EVENT_FIELDS[name] if f not in fields]
    if missing:
        raise ValueError(f"event {name!r} lacks {', '.join(missing)}")
    return {"event": name, "time": time.time(), **_finite(fields)}


def encode(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def parse_event(line: str) -> dict[str, Any]:
    """One line of events.jsonl or engine stdout; ValueError when it is not an event."""
    event = json.loads(line)
    if not isinstance(event, dict) or event.get("event") not in EVENT_FIELDS:
        raise ValueError(f"not an engine event: {line[:200]!r}")
    return event


def parse_command(line: str) -> str | None:
    """The command on one control line, or None for a blank or malformed line."""
    line = line.strip()
    if not line:
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    command = data.get("command") if isinstance(data, dict) else None
    return command if command in COMMANDS else None


def command_line(command: str) -> str:
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    return json.dumps({"command": command, "time": time.time()}) + "\n"


SECRET_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY")
"""Secrets an engine redacts whenever they are set, however it was started."""
SECRET_PREFIX = "SPARKTRAINER_SECRET_"
PREFIX_CHARACTERS = 8
"""A secret's first characters that identify it: a truncated copy of at least this many
is redacted too."""
_GAP = r"(?:\s|\\[nrt])*"
"""What may sit between a secret's characters once a tokenizer decoded it ("hf _ abc")
or JSON escaped it."""


def secrets_from_environment() -> list[str]:
    """Every secret this process was given: the named ones, ours, the well-known."""
    names = {n for n in os.environ.get(REDACT_ENV, "").split(",") if n}
    names |= {n for n in os.environ if n.startswith(SECRET_PREFIX) or n in SECRET_VARIABLES}
    return sorted({clean_secret(os.environ[n]) for n in names if clean_secret(os.environ[n])})


def clean_secret(value: str | None) -> str:
    """A pasted or piped value without the line ending it came with."""
    return (value or "").strip("\r\n")


def secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for every form of these secrets a log or event may carry: exact, any
    case (an uncased tokenizer), with spaces between characters (a decoded sample), and
    any prefix of 8 or more characters (a truncated copy). None when there are none."""
    forms = []
    for secret in sorted({clean_secret(s) for s in secrets if s}, key=len, reverse=True):
        if len(secret) < PREFIX_CHARACTERS:
            forms.append(re.escape(secret))
            continue
        head = _GAP.join(re.escape(c) for c in secret[:PREFIX_CHARACTERS])
        tail = ""
        for character in reversed(secret[PREFIX_CHARACTERS:][:96]):
            tail = f"(?:{_GAP}{re.escape(character)}{tail})?"
        forms.append(head + tail)
    return re.compile("|".join(forms), re.IGNORECASE) if forms else None


def redact(text: str, secrets: list[str] | re.Pattern[str] | None) -> str:
    pattern = secrets if isinstance(secrets, re.Pattern) or secrets is None else None
    if isinstance(secrets, list):
        pattern = secret_pattern(secrets)
    return pattern.sub(REDACTED, text) if pattern is not None else text


class EventWriter:
    """Appends each event to events.jsonl (flushed), then copies it to stdout."""

    def __init__(
        self, run_dir: Path, stdout: TextIO | None = None, secrets: list[str] | None = None
    ) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / EVENTS_FILE
        self._secrets = secret_pattern(secrets or [])
        self._file = self.path.open("a", encoding="utf-8")
        self._stdout = stdout
        self._lock = threading.Lock()

    def emit(self, name: str, **fields: Any) -> dict[str, Any]:
        event = make_event(name, **fields)
        line = redact(encode(event), self._secrets) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            if self._stdout is not None:
                try:
                    self._stdout.write(line)
                    self._stdout.flush()
                except (BrokenPipeError, OSError, ValueError):
                    self._stdout = None  # the GUI went away; the file is the record
        return event

    def close(self) -> None:
        with self._lock:
            self._file.close()


class ControlReader:
    """Commands from control.jsonl (new lines only) and, optionally, from stdin."""

    def __init__(self, run_dir: Path, *, stdin: TextIO | None = None) -> None:
        self.path = run_dir / CONTROL_FILE
        # Lines written before this engine started belong to an earlier run of the job.
        self._offset = self.path.stat().st_size if self.path.exists() else 0
        self._partial = b""
        self._stdin_queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        if stdin is not None:
            threading.Thread(
                target=self._read_stdin, args=(stdin,), daemon=True, name="control-stdin"
            ).start()

    def _read_stdin(self, stdin: TextIO) -> None:
        # A closed stdin means nothing: the GUI may come back through control.jsonl.
        for line in stdin:
            command = parse_command(line)
            if command:
                self._stdin_queue.put(command)

    def poll(self) -> list[str]:
        """Commands that arrived since the last poll; cheap when there are none."""
        commands: list[str] = []
        while not self._stdin_queue.empty():
            commands.append(self._stdin_queue.get_nowait())
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return commands
        if size > self._offset:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = self._partial + handle.read(size - self._offset)
            self._offset = size
            *lines, self._partial = data.split(b"\n")
            commands += [
                c for c in (parse_command(x.decode("utf-8", "replace")) for x in lines) if c
            ]
        return commands


class EventReader:
    """events.jsonl from a byte offset, in bounded chunks; a partial last line waits.

    The one reader of the events file: the app follows a live engine with it, catches
    up with a backlog a chunk at a time, and scans finished runs with `scan_events`.
    A line that is not an event becomes a warning `log` event instead of vanishing.
    """

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self.more = False
        """The last read stopped at its size limit: more complete lines may follow."""
        self.bytes_per_event = 200.0
        """Running estimate, for "catching up N events"."""

    def read(self, max_bytes: int | None = READ_CHUNK_BYTES) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read(-1 if max_bytes is None else max_bytes)
                if max_bytes is not None and len(data) == max_bytes and b"\n" not in data:
                    data += handle.readline()  # one line longer than a chunk: read it whole
        except FileNotFoundError:
            self.more = False
            return []
        end = data.rfind(b"\n")
        self.more = max_bytes is not None and len(data) >= max_bytes
        if end < 0:
            return []
        self.offset += end + 1
        events = [_event_or_warning(line) for line in data[:end].split(b"\n") if line.strip()]
        if events:
            self.bytes_per_event = (end + 1) / len(events)
        return events

    def remaining_bytes(self) -> int:
        try:
            return max(0, self.path.stat().st_size - self.offset)
        except OSError:
            return 0

    def remaining_events(self) -> int:
        """About how many events are still unread (the backlog being caught up)."""
        return round(self.remaining_bytes() / max(1.0, self.bytes_per_event))


def _event_or_none(line: bytes) -> dict[str, Any] | None:
    try:
        return parse_event(line.decode("utf-8", "replace"))
    except ValueError:
        return None


def _event_or_warning(line: bytes) -> dict[str, Any]:
    event = _event_or_none(line)
    if event is None:
        return {
            "event": "log",
            "level": "warning",
            "time": 0.0,
            "message": f"unreadable event line: {line[:200]!r}",
        }
    return event


def scan_events(path: Path, *kinds: str) -> Iterator[dict[str, Any]]:
    """Every event of the given kinds (all kinds when none) in a whole events file,
    chunk by chunk; a missing file has none. Unreadable lines are skipped here."""
    wanted = [f'"{kind}"'.encode() for kind in kinds]
    try:
        handle = path.open("rb")
    except OSError:
        return
    with handle:
        for line in handle:
            if wanted and not any(key in line for key in wanted):
                continue  # cheap: most lines of a long run are metrics
            event = _event_or_none(line)
            if event is not None and (not kinds or event["event"] in kinds):
                yield event


def last_event(path: Path, *kinds: str, tail_bytes: int = 65_536) -> dict[str, Any] | None:
    """The file's last event of those kinds (any kind when none): the tail is read first,
    the whole file only when the tail has none."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - tail_bytes))
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        event = _event_or_none(line)
        if event is not None and (not kinds or event["event"] in kinds):
            return event
    if size <= tail_bytes:
        return None
    found = None
    for found in scan_events(path, *kinds):  # noqa: B007 - the last one is wanted
        pass
    return found


def complete_checkpoints(folder: Path) -> list[Path]:
    """A checkpoints folder's complete checkpoints, oldest first: only `checkpoint-STEP`
    folders that were renamed into place with their progress file (never a partial one)."""
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            suffix = path.name.removeprefix(CHECKPOINT_PREFIX)
            if (
                path.name.startswith(CHECKPOINT_PREFIX)
                and suffix.isdigit()
                and (path / CHECKPOINT_PROGRESS).is_file()
            ):
                found.append((int(suffix), path))
    return [path for _, path in sorted(found)]


def redirect_stray_output() -> TextIO:
    """Keep stdout for events only: libraries' prints and progress bars go to stderr.

    Returns the real stdout for the EventWriter.
    """
    real = sys.stdout
    sys.stdout = sys.stderr
    return real

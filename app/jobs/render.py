"""Engine events and job progress as text: for `job logs` and the terminal progress bar."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

BAR_WIDTH = 28


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _values(values: dict[str, Any]) -> str:
    return "  ".join(f"{name} {_number(value)}" for name, value in values.items())


def format_event(event: dict[str, Any]) -> str:
    """One readable line per event, prefixed with its local time."""
    stamp = datetime.fromtimestamp(float(event.get("time", 0.0))).strftime("%H:%M:%S")
    kind = event.get("event")
    if kind == "started":
        resumed = event.get("resumed_from_step")
        text = f"started on {event.get('device')}: {event.get('total_steps')} steps"
        text += f", resuming after step {resumed}" if resumed else ""
    elif kind == "metric":
        text = f"step {event.get('step')}  {_values(event.get('values', {}))}"
    elif kind == "eval":
        text = f"eval at step {event.get('step')}  {_values(event.get('values', {}))}"
    elif kind == "checkpoint":
        text = f"checkpoint at step {event.get('step')}: {event.get('path')}"
    elif kind == "log":
        text = f"[{event.get('level')}] {event.get('message')}"
    elif kind == "sample":
        text = f"first {event.get('split')} batch: {len(event.get('rows', []))} rows decoded"
    elif kind in ("paused", "resumed"):
        text = f"{kind} at step {event.get('step')}"
    elif kind == "progress" and int(event.get("total") or 0) <= 1:
        text = f"{event.get('phase')}: done" if event.get("done") else f"{event.get('phase')}…"
    elif kind == "progress":
        text = f"{event.get('phase')}: {event.get('done'):,} of {event.get('total'):,}"
    elif kind == "stopped" and not event.get("checkpoint"):
        text = "stopped during setup, before the first step (nothing to resume from)"
    elif kind == "stopped":
        text = f"stopped at step {event.get('step')}, checkpoint {event.get('checkpoint')}"
    elif kind == "completed":
        final = _values(event.get("final", {}))
        text = f"completed at step {event.get('step')}: {event.get('output_path')}  {final}"
    elif kind == "failed":
        text = f"failed ({event.get('kind')}): {event.get('error')}"
    else:
        text = str(event)
    return f"{stamp}  {text}"


class ProgressThinning:
    """Which setup `progress` events a log shows: a phase's start, each tenth, its end.

    The engine reports a few times a second so that bars move; as log lines that is a
    screenful of "tokenising 1,024 of 50,000" for one phase."""

    def __init__(self) -> None:
        self._tenths: dict[str, int] = {}

    def keep(self, event: dict[str, Any]) -> bool:
        if event.get("event") != "progress":
            return True
        done, total = int(event.get("done") or 0), int(event.get("total") or 0)
        phase = str(event.get("phase"))
        if total <= 1 or done <= 0 or done >= total:
            self._tenths[phase] = 0
            return True
        tenth = done * 10 // total
        if tenth <= self._tenths.get(phase, 0):
            return False
        self._tenths[phase] = tenth
        return True


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressLine:
    """A one-line bar redrawn in place on a terminal; a line per tenth on a log file."""

    def __init__(self, stream: Any, is_terminal: bool) -> None:
        self._stream = stream
        self._terminal = is_terminal
        self._first: tuple[float, int] | None = None
        self._last_decile = -1
        self._width = 0

    def update(
        self, status: str, step: int, total: int | None, loss: float | None, now: float = 0.0
    ) -> None:
        now = now or time.monotonic()
        if self._first is None or step < self._first[1]:
            self._first = (now, step)
        start_time, start_step = self._first
        rate = (step - start_step) / (now - start_time) if now > start_time else 0.0
        fraction = min(1.0, step / total) if total else 0.0
        filled = int(fraction * BAR_WIDTH)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        parts = [f"{status:<9}", f"[{bar}]", f"{step}/{total or '?'}"]
        if loss is not None:
            parts.append(f"loss {loss:.4g}")
        if rate > 0:
            parts.append(f"{rate:.2f} steps/s")
            if total and step < total:
                parts.append(f"ETA {_duration((total - step) / rate)}")
        line = "  ".join(parts)
        if self._terminal:
            padding = " " * max(0, self._width - len(line))
            self._stream.write(f"\r{line}{padding}")
            self._width = len(line)
        else:
            decile = int(fraction * 10)
            if decile == self._last_decile:
                return
            self._last_decile = decile
            self._stream.write(line + "\n")
        self._stream.flush()

    def finish(self, text: str) -> None:
        if self._terminal and self._width:
            self._stream.write("\n")
        self._stream.write(text + "\n")
        self._stream.flush()

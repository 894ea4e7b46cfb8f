"""Telling a hung engine from a slow one.

A SIGSTOPped engine used to show "running 5/400" for ever. An engine is judged not
responding when its process is stopped, when its heartbeat file (touched every few
seconds by a thread of the engine, also during a long setup) goes stale, or when,
once it is training, no event arrives for many times its usual interval between
metric events. A paused engine is quiet on purpose and is never judged by silence.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from itertools import pairwise
from pathlib import Path
from typing import Any

import psutil

from engine.protocol import HEARTBEAT_FILE, HEARTBEAT_S

STALE_BEAT_S = 6 * HEARTBEAT_S
QUIET_FACTOR = 10
"""No event for this many usual intervals between metric events is a hang."""
MIN_QUIET_S = 120.0
"""…but never less than this: an evaluation or a checkpoint of a large model is quiet."""


class Watchdog:
    def __init__(self, run_dir: Path) -> None:
        self._beat = run_dir / HEARTBEAT_FILE
        self._last_event = time.time()
        self._metric_times: deque[float] = deque(maxlen=20)
        self._paused = False

    def observe(self, events: list[dict[str, Any]]) -> None:
        self._last_event = time.time()
        for event in events:
            kind = event["event"]
            if kind == "metric":
                self._metric_times.append(float(event["time"]))
            elif kind in ("paused", "resumed"):
                self._paused = kind == "paused"

    def quiet_limit(self) -> float | None:
        """Seconds of silence that mean a hang; None before training has a rhythm."""
        gaps = [later - earlier for earlier, later in pairwise(self._metric_times)]
        if not gaps:
            return None
        return max(MIN_QUIET_S, QUIET_FACTOR * statistics.median(gaps))

    def frozen(self, pid: int | None) -> str | None:
        """Why the engine cannot be running at all (stopped, or its heartbeat thread gets no
        time), or None. Unlike mere silence, this is certain: a stop need not wait long."""
        if pid is None:
            return None
        try:
            if psutil.Process(pid).status() == psutil.STATUS_STOPPED:
                return "its process is stopped (SIGSTOP, or a debugger)"
        except psutil.Error:
            return None
        try:
            beat = time.time() - self._beat.stat().st_mtime
        except OSError:
            return None  # an engine from before heartbeats
        return f"no heartbeat for {beat:.0f} s" if beat > STALE_BEAT_S else None

    def problem(self, pid: int | None) -> str | None:
        """Why the engine looks hung, or None while it responds."""
        if pid is None:
            return None
        frozen = self.frozen(pid)
        if frozen:
            return frozen
        now = time.time()
        limit = self.quiet_limit()
        quiet = now - self._last_event
        if limit is not None and not self._paused and quiet > limit:
            return f"no progress for {quiet:.0f} s"
        return None

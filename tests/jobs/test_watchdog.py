"""The watchdog's judgement without an engine: a heartbeat file and event times."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.jobs.watchdog import MIN_QUIET_S, STALE_BEAT_S, Watchdog


def test_a_stale_heartbeat_or_a_long_silence_is_a_hang_and_a_pause_is_not(
    tmp_path: Path, monkeypatch
) -> None:
    beat = tmp_path / "heartbeat"
    beat.touch()
    watchdog = Watchdog(tmp_path)
    me = os.getpid()  # a running process
    assert watchdog.problem(me) is None
    old = time.time() - STALE_BEAT_S - 5
    os.utime(beat, (old, old))
    assert "no heartbeat" in (watchdog.problem(me) or "")
    beat.touch()
    # Before training has a rhythm, silence alone means nothing (a long setup).
    assert watchdog.quiet_limit() is None
    watchdog.observe([{"event": "metric", "time": 100.0 + i} for i in range(5)])
    assert watchdog.quiet_limit() == MIN_QUIET_S  # 1 s apart: the floor applies
    watchdog.observe([{"event": "metric", "time": 200.0 + 60 * i} for i in range(20)])
    assert watchdog.quiet_limit() == 600.0  # ten usual intervals
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    os.utime(beat, (later, later))  # alive and scheduled, yet no event: a stuck loop
    assert "no progress for" in (watchdog.problem(me) or "")
    watchdog.observe([{"event": "paused", "time": later}])
    monkeypatch.setattr(time, "time", lambda: later + 700)
    os.utime(beat, (later + 700, later + 700))
    assert watchdog.problem(me) is None  # paused on purpose

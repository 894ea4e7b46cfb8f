"""Issue #17, item 4: a full disk at the database's writes, with a real engine and a real
full filesystem (a tmpfs holding the data directory; the run folders stay on the test's
disk through a symlink, so only the database's writes fail). Before the fix the job's
ending was lost with its watcher and the job stayed "running" until a restart, blocking
the queue; now each refused write is kept, the person is told once, and freeing space
lets the job and the queue finish."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.jobs.states import JobStatus
from engine.protocol import EVENTS_FILE, PAUSE_AT_ENV
from tests.conftest import fill_disk
from tests.engine.helpers import read_events, tiny_sft_spec

pytestmark = pytest.mark.slow

TIMEOUT_MS = 240_000


def test_a_job_whose_records_meet_a_full_disk_finishes_once_space_is_freed(
    small_filesystem, tmp_path, monkeypatch, qtbot
) -> None:
    from app.core import AppCore
    from app.paths import data_paths

    disk = small_filesystem("48m")
    home = disk / "home"
    home.mkdir()
    runs = tmp_path / "runs"
    runs.mkdir()
    (home / "runs").symlink_to(runs)
    monkeypatch.setenv("SPARKTRAINER_HOME", str(home))
    monkeypatch.setenv(PAUSE_AT_ENV, "6")  # held there until the disk is full
    spec = tiny_sft_spec(tmp_path)
    core = AppCore(data_paths())
    core.open_database()
    told: list[str] = []
    core.notifications.notified.connect(lambda n: told.append(f"{n.title}: {n.message}"))
    try:
        jobs = core.jobs
        first = jobs.submit(spec, name="first")
        second = jobs.submit(spec, name="second")  # waits behind the first (one CPU job)
        qtbot.waitUntil(
            lambda: jobs.store.get(first.id).status == JobStatus.PAUSED, timeout=TIMEOUT_MS
        )
        monkeypatch.delenv(PAUSE_AT_ENV)  # the second job trains straight through

        # Empty the write-ahead log, then take every byte the filesystem has left: the
        # next database write needs new space and SQLite refuses it (SQLITE_FULL).
        with sqlite3.connect(core.paths.database) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = fill_disk(disk)
        jobs.resume(first.id)
        events = Path(first.run_dir) / EVENTS_FILE
        qtbot.waitUntil(lambda: '"completed"' in events.read_text(), timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: any(t.startswith("The disk is full") for t in told), timeout=30_000)
        # Which writes fail from here on varies: SQLite reuses the WAL space a failed
        # transaction had already taken, so a small write may still fit. What holds: no
        # error escapes (pytest-qt fails the test on one), and everything recovers.

        filler.unlink()
        qtbot.waitUntil(
            lambda: jobs.store.get(first.id).status == JobStatus.COMPLETED, timeout=60_000
        )
        assert not jobs.deferred.problem
        history = [(t.from_status, t.to_status) for t in jobs.store.history(first.id)]
        assert history[-2:] == [("paused", "running"), ("running", "completed")]
        losses = jobs.store.metric_series(first.id, "loss")
        written = [e["step"] for e in read_events(Path(first.run_dir)) if e["event"] == "metric"]
        assert [step for step, _value in losses] == written  # every point, each once
        assert jobs.store.get(first.id).last_step == 12
        # The queue goes on without a restart.
        qtbot.waitUntil(
            lambda: jobs.store.get(second.id).status == JobStatus.COMPLETED, timeout=TIMEOUT_MS
        )
        assert json.loads(json.dumps(jobs.store.get(first.id).result))["final"]
    finally:
        core.shutdown(stop_jobs=True)  # a failed run leaves no engine paused for ever

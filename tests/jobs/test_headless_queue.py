"""Issue #17, item 2: terminals that run the queue with no window. Whoever owns the queue
keeps it until it is empty, runners started together queue through one of them, and a
follower takes the queue over when its owner is killed. Real `main.py` processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.jobs.states import JobStatus
from tests.conftest import ROOT
from tests.engine.helpers import read_events, tiny_sft_spec

pytestmark = pytest.mark.slow

DEADLINE_S = 420


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(tiny_sft_spec(tmp_path)))
    return path


def _submit_wait(spec: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "job",
            "submit",
            str(spec),
            "--wait",
            "--name",
            name,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _store(paths):
    from app.db.database import Database
    from app.jobs.store import JobStore

    return JobStore(Database(paths.database))


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _jobs_by_name(paths) -> dict[str, JobStatus]:
    if not paths.database.exists():
        return {}
    return {job.name: job.status for job in _store(paths).jobs()}


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=DEADLINE_S)
    return process.returncode, out, err


def test_runners_started_together_and_one_later_all_finish_every_job(spec_path, paths):
    first, second = _submit_wait(spec_path, "a"), _submit_wait(spec_path, "b")
    try:
        _wait_for(lambda: JobStatus.RUNNING in _jobs_by_name(paths).values(), "nothing ran")
        third = _submit_wait(spec_path, "c")  # while the owner's job (or another) trains
        results = [_finish(p) for p in (first, second, third)]
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
    for code, _out, err in results:
        assert code == 0, err
        assert "completed at step 12" in err
    assert not any("still starting" in err for _c, _o, err in results)
    assert sorted(_jobs_by_name(paths).items()) == [
        ("a", JobStatus.COMPLETED),
        ("b", JobStatus.COMPLETED),
        ("c", JobStatus.COMPLETED),
    ]
    owners = [out for _c, out, _e in results if "scheduled by this terminal" in out]
    assert len(owners) == 1  # the others queued their jobs through it


def test_the_owner_runs_jobs_queued_through_it_until_the_queue_is_empty(spec_path, paths):
    """`job submit` (no --wait) from another terminal while the owner runs: the owner's own
    job ends first, and it keeps the queue until the other job is done too."""
    owner = _submit_wait(spec_path, "owner")
    try:
        _wait_for(lambda: _jobs_by_name(paths).get("owner") == JobStatus.RUNNING, "no start")
        queued = subprocess.run(
            [
                sys.executable,
                str(ROOT / "main.py"),
                "job",
                "submit",
                str(spec_path),
                "--name",
                "later",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert queued.returncode == 0, queued.stderr
        assert "scheduled by the running SparkTrainer" in queued.stdout
        code, _out, err = _finish(owner)
    finally:
        if owner.poll() is None:
            owner.kill()
    assert code == 0, err
    assert "goes on until the queue is empty" in err
    assert _jobs_by_name(paths) == {"owner": JobStatus.COMPLETED, "later": JobStatus.COMPLETED}


def test_a_follower_takes_the_queue_over_when_its_owner_is_killed(spec_path, paths):
    owner = _submit_wait(spec_path, "owner")
    follower = None
    try:
        _wait_for(lambda: _jobs_by_name(paths).get("owner") == JobStatus.RUNNING, "no start")
        follower = _submit_wait(spec_path, "follower")
        _wait_for(lambda: _jobs_by_name(paths).get("follower") == JobStatus.QUEUED, "not queued")
        os.kill(owner.pid, signal.SIGKILL)  # the engine it launched trains on
        owner.wait(timeout=60)
        code, _out, err = _finish(follower)
    finally:
        for process in (owner, follower):
            if process is not None and process.poll() is None:
                process.kill()
    assert code == 0, err
    assert "this terminal runs it now" in err
    assert _jobs_by_name(paths) == {"owner": JobStatus.COMPLETED, "follower": JobStatus.COMPLETED}
    owner_job = next(job for job in _store(paths).jobs() if job.name == "owner")
    started = [e for e in read_events(Path(owner_job.run_dir)) if e["event"] == "started"]
    assert len(started) == 1  # followed again, never launched twice

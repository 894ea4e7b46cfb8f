"""The engine supervisor with real QProcess engines on a tiny preset."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from app.jobs import supervisor as supervisor_module
from app.jobs.supervisor import EngineSupervisor
from tests.engine.helpers import make_spec, sft_rows, spec_file, write_jsonl

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


@pytest.fixture
def engine_job(tmp_path: Path):
    data = write_jsonl(tmp_path / "data.jsonl", sft_rows(32))

    def make(name: str = "job", **hyper) -> tuple[Path, Path]:
        spec = make_spec(
            tmp_path / "runs",
            "causal_lm_sft",
            data,
            model="tiny-gpt2",
            name=name,
            **{"max_steps": 12, **hyper},
        )
        return spec_file(tmp_path, spec), Path(spec["output_dir"]).parent

    return make


def _run(qtbot, supervisor: EngineSupervisor, spec: Path, timeout: int = 120_000):
    events: list[dict] = []
    supervisor.events_received.connect(events.extend)
    with qtbot.waitSignal(supervisor.started, timeout=30_000):
        supervisor.start(spec)
    return events


def test_a_job_runs_to_completion(qtbot, engine_job) -> None:
    spec, run_dir = engine_job()
    supervisor = EngineSupervisor(run_dir)
    events: list[dict] = []
    supervisor.events_received.connect(events.extend)
    with qtbot.waitSignal(supervisor.ended, timeout=180_000) as ended:
        supervisor.start(spec)
    outcome = ended.args[0]
    assert outcome.kind == "completed", outcome.message
    assert supervisor.pid and not psutil.pid_exists(supervisor.pid)
    names = [e["event"] for e in events]
    setup = names.index("started")
    assert set(names[:setup]) == {"progress"} and names[0] == "progress"  # setup reports
    assert names[-1] == "completed"
    steps = [e["step"] for e in events if e["event"] == "metric"]
    assert steps == list(range(1, 13))  # every event once, in order
    assert supervisor.reader.offset == (run_dir / "events.jsonl").stat().st_size


def test_stop_checkpoints_and_reports_stopped(qtbot, engine_job) -> None:
    spec, run_dir = engine_job(max_steps=400)
    supervisor = EngineSupervisor(run_dir)
    events = _run(qtbot, supervisor, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in events), timeout=60_000)
    with qtbot.waitSignal(supervisor.ended, timeout=120_000) as ended:
        supervisor.stop()
    assert ended.args[0].kind == "stopped"
    assert any(p.name.startswith("checkpoint-") for p in (run_dir / "checkpoints").iterdir())


def test_pause_and_resume_through_the_supervisor(qtbot, engine_job) -> None:
    spec, run_dir = engine_job(max_steps=200)
    supervisor = EngineSupervisor(run_dir)
    events = _run(qtbot, supervisor, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in events), timeout=60_000)
    supervisor.send("pause")
    qtbot.waitUntil(lambda: any(e["event"] == "paused" for e in events), timeout=30_000)
    supervisor.send("resume")
    qtbot.waitUntil(lambda: any(e["event"] == "resumed" for e in events), timeout=30_000)
    with qtbot.waitSignal(supervisor.ended, timeout=120_000) as ended:
        supervisor.stop()
    assert ended.args[0].kind == "stopped"


def test_a_stopped_engine_is_said_not_responding_and_a_stop_ends_it_quickly(
    qtbot, engine_job
) -> None:
    """Issue #17, item 6: SIGSTOP is noticed within seconds; Stop continues the engine and
    it stops with a checkpoint, not after a minute's grace."""
    spec, run_dir = engine_job(max_steps=400)
    supervisor = EngineSupervisor(run_dir)
    events = _run(qtbot, supervisor, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in events), timeout=60_000)
    assert (run_dir / "heartbeat").is_file()
    os.kill(supervisor.pid, signal.SIGSTOP)
    qtbot.waitUntil(lambda: bool(supervisor.hung), timeout=20_000)
    assert "stopped" in supervisor.hung
    began = time.monotonic()
    with qtbot.waitSignal(supervisor.ended, timeout=60_000) as ended:
        supervisor.stop()
    assert ended.args[0].kind == "stopped"
    assert time.monotonic() - began < supervisor_module.STOP_GRACE_MS / 1000 / 2


def test_kill_9_is_reported_as_killed(qtbot, engine_job) -> None:
    spec, run_dir = engine_job(max_steps=400)
    supervisor = EngineSupervisor(run_dir)
    events = _run(qtbot, supervisor, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in events), timeout=60_000)
    with qtbot.waitSignal(supervisor.ended, timeout=30_000) as ended:
        os.kill(supervisor.pid, signal.SIGKILL)
    assert ended.args[0].kind == "killed"


def test_an_invalid_spec_names_the_field(qtbot, tmp_path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"recipe": "nonsense"}))
    supervisor = EngineSupervisor(tmp_path / "runs" / "bad")
    with qtbot.waitSignal(supervisor.ended, timeout=60_000) as ended:
        supervisor.start(spec)
    outcome = ended.args[0]
    assert outcome.kind == "invalid_spec" and outcome.exit_code == 2


def test_a_hung_engine_is_terminated_then_killed_with_its_group(
    qtbot, engine_job, monkeypatch
) -> None:
    monkeypatch.setattr(supervisor_module, "TERM_GRACE_MS", 300)
    monkeypatch.setattr(supervisor_module, "WATCH_MS", 10**9)  # the escalation alone
    spec, run_dir = engine_job(max_steps=400)
    supervisor = EngineSupervisor(run_dir)
    events = _run(qtbot, supervisor, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in events), timeout=60_000)
    pid, group = supervisor.pid, supervisor.group
    assert os.getpgid(pid) == group != os.getpgid(0)  # its own process group
    os.kill(pid, signal.SIGSTOP)  # hung: it can read no command and handle no SIGTERM
    with qtbot.waitSignal(supervisor.ended, timeout=30_000) as ended:
        supervisor.stop(grace_ms=300)
    assert ended.args[0].kind == "killed"

    def survivors() -> list[psutil.Process]:
        group_members = [
            p for p in psutil.process_iter(["pid"]) if p.info["pid"] == pid or _group(p) == group
        ]
        return [p for p in group_members if _alive(p.pid)]  # a zombie waits for init

    # SIGKILL reaches every member of the group, but a busy machine may take a moment to
    # finish each one after the launcher reported the end.
    qtbot.waitUntil(lambda: not survivors(), timeout=10_000)


def _group(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return None


def test_a_released_engine_trains_on_and_is_followed_again_by_pid(qtbot, engine_job) -> None:
    spec, run_dir = engine_job(max_steps=40)
    first = EngineSupervisor(run_dir)
    seen = _run(qtbot, first, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in seen), timeout=60_000)
    pid, start_time = first.pid, first.start_time
    first.release()  # the app quits, keeping the job: only the launcher goes
    offset = first.reader.offset  # a chunk in flight was finished by release()
    qtbot.waitUntil(lambda: not first.reading, timeout=10_000)  # its events delivered
    first.deleteLater()
    assert psutil.Process(pid).is_running()

    again = EngineSupervisor(run_dir, events_offset=offset)
    later: list[dict] = []
    again.events_received.connect(later.extend)
    assert not EngineSupervisor(run_dir).attach(pid, start_time + 5)  # a reused pid is not ours
    with qtbot.waitSignal(again.ended, timeout=180_000) as ended:
        assert again.attach(pid, start_time) and again.attached
        again.send("checkpoint")  # control works without stdin: through control.jsonl
    assert ended.args[0].kind == "completed", ended.args[0].message
    steps = [e["step"] for e in seen + later if e["event"] == "metric"]
    assert steps == list(range(1, 41))  # nothing lost, nothing twice
    assert any(e["event"] == "checkpoint" for e in later)


def test_an_engine_gone_while_nobody_watched_is_classified_from_its_events(
    qtbot, engine_job
) -> None:
    spec, run_dir = engine_job(max_steps=400)
    first = EngineSupervisor(run_dir)
    seen = _run(qtbot, first, spec)
    qtbot.waitUntil(lambda: any(e["event"] == "metric" for e in seen), timeout=60_000)
    pid, start_time = first.pid, first.start_time
    first.release()
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not psutil.pid_exists(pid) or not _alive(pid), timeout=10_000)
    again = EngineSupervisor(run_dir)
    assert not again.attach(pid, start_time)
    with qtbot.waitSignal(again.ended, timeout=5_000) as ended:
        again.finish_detached()
    assert ended.args[0].kind == "vanished" and "interrupted" in ended.args[0].message


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

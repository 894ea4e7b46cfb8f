"""`python main.py job …` in real subprocesses: headless runs, hand-off to a running app."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.jobs.headless import HeadlessScheduler
from app.jobs.states import JobStatus
from engine.recommended import with_recommended
from tests.conftest import ROOT, hold_queue, run_main
from tests.engine.helpers import tiny_sft_spec

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(tiny_sft_spec(tmp_path)))
    return path


def test_submit_wait_runs_headless_and_every_read_command_reports_it(spec_path, tmp_path):
    done = run_main("job", "submit", str(spec_path), "--wait", "--name", "headless", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "scheduled by this terminal" in done.stdout
    assert "completed at step 12" in done.stderr  # the progress bar's last line

    listed = json.loads(run_main("job", "list", "--json").stdout)
    assert [(j["name"], j["status"], j["last_step"]) for j in listed] == [
        ("headless", "completed", 12)
    ]
    job_id = listed[0]["id"]
    shown = run_main("job", "show", job_id).stdout
    assert "checkpoint-6, checkpoint-12" in shown and "queued → running" in shown
    logs = run_main("job", "logs", job_id).stdout.splitlines()
    assert "starting the engine…" in logs[0]  # setup's first phase
    assert any("started on cpu: 12 steps" in line for line in logs)
    assert sum(" step " in line and "loss" in line for line in logs) >= 12
    exported = tmp_path / "again.json"
    assert run_main("job", "export", job_id, "-o", str(exported)).returncode == 0
    # what the file said, with the tuned hyperparameters it left out filled in
    assert json.loads(exported.read_text()) == with_recommended(json.loads(spec_path.read_text()))

    deleted = run_main("job", "delete", job_id, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(run_main("job", "list", "--json").stdout) == []


def test_a_bad_spec_is_refused_naming_the_field_and_nothing_is_queued(spec_path):
    spec = json.loads(spec_path.read_text())
    spec["hyperparameters"]["batch_size"] = 0
    spec_path.write_text(json.dumps(spec))
    refused = run_main("job", "submit", str(spec_path))
    assert refused.returncode == 1
    assert "hyperparameters.batch_size: must be at least 1" in refused.stderr
    spec_path.write_text("{not json")
    assert "is not valid JSON" in run_main("job", "submit", str(spec_path)).stderr
    assert run_main("job", "list").stdout.strip() == "No jobs."
    assert "There is no job 'nope'" in run_main("job", "pause", "nope").stderr


def test_while_an_app_runs_the_command_line_hands_the_job_to_it(qapp, qtbot, paths, spec_path):
    # This test process plays the running app: it holds the lock and the queue.
    app = HeadlessScheduler(paths)
    assert app.acquire()
    jobs = app.start()
    try:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "job", "submit", str(spec_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        qtbot.waitUntil(lambda: process.poll() is not None, timeout=60_000)
        out, err = process.communicate()
        assert process.returncode == 0, err
        assert "scheduled by the running SparkTrainer" in out
        (job,) = jobs.store.jobs()
        qtbot.waitUntil(
            lambda: jobs.store.get(job.id).status == JobStatus.COMPLETED, timeout=180_000
        )
        cancel = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "job", "cancel", job.id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        qtbot.waitUntil(lambda: cancel.poll() is not None, timeout=60_000)
        assert "cannot go from completed to cancelled" in cancel.communicate()[1]
    finally:
        app.close()


def _terminal(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "job", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_the_window_answers_a_terminal_with_the_file_work_off_its_gui_thread(
    start_session, paths, qtbot, spec_path, monkeypatch
):
    from PySide6.QtCore import QThread

    from app.jobs import precheck as precheck_module

    session = start_session(paths)
    session.core.open_database()
    jobs = hold_queue(session.core.jobs)  # queued is enough: the hand-over is under test
    gui = QThread.currentThread()
    threads: dict[str, bool] = {}
    check_dataset = precheck_module.validation.check_dataset
    delete = jobs.delete

    def checking(spec):
        threads["check"] = QThread.currentThread() is gui
        return check_dataset(spec)

    def deleting(job_id):
        threads["delete"] = QThread.currentThread() is gui
        return delete(job_id)

    monkeypatch.setattr(precheck_module.validation, "check_dataset", checking)
    monkeypatch.setattr(jobs, "delete", deleting)
    submit = _terminal("submit", str(spec_path))
    qtbot.waitUntil(lambda: submit.poll() is not None, timeout=60_000)
    out, err = submit.communicate()
    assert submit.returncode == 0, err
    assert "scheduled by the running SparkTrainer" in out
    assert threads == {"check": False}  # the dataset was read in a worker
    (job,) = jobs.store.jobs()
    jobs.cancel(job.id)
    remove = _terminal("delete", job.id, "--yes")
    qtbot.waitUntil(lambda: remove.poll() is not None, timeout=60_000)
    assert remove.returncode == 0, remove.communicate()[1]
    assert threads == {"check": False, "delete": False}
    assert jobs.store.jobs() == []


def test_a_job_submitted_without_wait_trains_on_and_is_found_by_the_next_scheduler(
    spec_path, paths
):
    """`job submit` (no --wait) starts the engine and exits at once: the engine must have
    forked and its pid must be stored before the terminal lets the launcher go."""
    from app.db.database import Database
    from app.jobs.store import JobStore

    submitted = run_main("job", "submit", str(spec_path), "--name", "background")
    assert submitted.returncode == 0, submitted.stderr
    store = JobStore(Database(paths.database))
    (job,) = store.jobs()
    assert job.pid is not None and job.process_start_time is not None
    events = Path(job.run_dir) / "events.jsonl"
    deadline = time.monotonic() + 180
    while '"completed"' not in (events.read_text() if events.exists() else ""):
        assert time.monotonic() < deadline, "the engine did not train on by itself"
        time.sleep(0.2)
    # The next scheduler (here a --wait submit) finds how it ended: completed, not failed.
    again = run_main("job", "submit", str(spec_path), "--name", "second", "--wait")
    assert again.returncode == 0, again.stderr
    assert store.get(job.id).status == JobStatus.COMPLETED


def test_read_only_commands_report_how_an_engine_ended_without_a_scheduler(spec_path, paths):
    """After an SSH drop the engine trains on with no scheduler; `job list` and `job show`
    must not keep saying "running", and must not start the queue while they look."""
    from app.db.database import Database
    from app.jobs.store import JobStore
    from app.jobs.supervisor import engine_alive

    submitted = run_main("job", "submit", str(spec_path), "--name", "dropped")
    assert submitted.returncode == 0, submitted.stderr
    store = JobStore(Database(paths.database))
    (job,) = store.jobs()
    deadline = time.monotonic() + 180
    while engine_alive(job.pid, job.process_start_time):
        assert time.monotonic() < deadline, "the engine did not end"
        time.sleep(0.2)
    assert store.get(job.id).status == JobStatus.RUNNING  # nobody recorded the ending yet
    queued = _queue_without_scheduler(paths, json.loads(spec_path.read_text()))

    listed = json.loads(run_main("job", "list", "--json").stdout)
    statuses = {j["name"]: j["status"] for j in listed}
    assert statuses == {"dropped": "completed", "queued": "queued"}  # the queue stayed put
    assert store.get(job.id).last_step == 12
    shown = run_main("job", "show", job.id).stdout
    assert "status      completed" in shown
    assert store.get(queued).status == JobStatus.QUEUED


def _queue_without_scheduler(paths, spec) -> str:
    """A queued job written straight to the store, as a scheduler that quit would leave it."""
    from app.db.database import Database
    from app.jobs.store import JobStore

    store = JobStore(Database(paths.database))
    job = store.create(
        {**spec, "output_dir": str(paths.runs / "q" / "output")},
        run_dir=str(paths.runs / "q"),
        name="queued",
    )
    store.transition(job.id, JobStatus.QUEUED, "submitted")
    return job.id


def test_a_kill_in_the_launch_window_reattaches_and_never_runs_two_engines(
    spec_path, paths, core, qtbot
):
    """Issue #17, item 1: the runner dies right after the launcher starts, before the
    engine's pid is stored (a test hook kills it there). The next scheduler finds the
    engine by its run folder, follows it to the end, and starts the next job only then."""
    from app.jobs.store import JobStore
    from tests.engine.helpers import read_events

    killed = run_main(
        "job",
        "submit",
        str(spec_path),
        "--wait",
        "--name",
        "first",
        env={"SPARKTRAINER_TEST_KILL_AFTER_LAUNCH": "1"},
    )
    assert killed.returncode == -9, killed.stderr
    store = JobStore(core.database)
    (first,) = store.jobs()
    assert first.status == JobStatus.RUNNING and first.pid is None  # the window
    queued = run_main("job", "submit", str(spec_path), "--name", "second")
    assert queued.returncode == 0, queued.stderr
    jobs = core.jobs  # a new scheduler: reattaches, then schedules
    qtbot.waitUntil(lambda: store.get(first.id).status == JobStatus.COMPLETED, timeout=240_000)
    (second,) = [job for job in store.jobs() if job.id != first.id]
    qtbot.waitUntil(lambda: store.get(second.id).status == JobStatus.COMPLETED, timeout=240_000)
    first_events = read_events(Path(first.run_dir))
    assert [e["event"] for e in first_events].count("started") == 1  # one engine, once
    assert "failed" not in [e["event"] for e in first_events]
    ended = next(e["time"] for e in first_events if e["event"] == "completed")
    began = next(e["time"] for e in read_events(Path(second.run_dir)) if e["event"] == "started")
    assert began >= ended  # never two engines side by side
    assert jobs.store.get(first.id).failure_kind is None

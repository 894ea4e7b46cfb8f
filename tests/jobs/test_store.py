"""The job store on real SQLite: transitions recorded, illegal ones refused, metrics stored
once however often their events are replayed."""

from __future__ import annotations

import pytest

from app.jobs.states import IllegalTransition, JobStatus
from app.jobs.store import JobStore


@pytest.fixture
def store(core) -> JobStore:
    return JobStore(core.database)


def test_lifecycle_is_recorded_with_reasons(store, paths) -> None:
    job = store.create({"recipe": "causal_lm_sft"}, run_dir=str(paths.runs / "a"), name="a")
    assert job.status is JobStatus.PENDING and job.spec["job_id"] == job.id
    store.transition(job.id, JobStatus.QUEUED, "queued by the person")
    running = store.transition(
        job.id, JobStatus.RUNNING, "started on GPU 0", assigned_gpus="0", pid=1234
    )
    assert running.started_at is not None and running.pid == 1234
    store.transition(job.id, JobStatus.PAUSED, "paused")
    store.transition(job.id, JobStatus.RUNNING, "resumed")
    done = store.transition(job.id, JobStatus.COMPLETED, "engine completed", exit_code=0)
    assert done.finished_at is not None
    history = store.history(job.id)
    assert [(t.from_status, t.to_status) for t in history] == [
        (None, JobStatus.PENDING),
        (JobStatus.PENDING, JobStatus.QUEUED),
        (JobStatus.QUEUED, JobStatus.RUNNING),
        (JobStatus.RUNNING, JobStatus.PAUSED),
        (JobStatus.PAUSED, JobStatus.RUNNING),
        (JobStatus.RUNNING, JobStatus.COMPLETED),
    ]
    assert history[2].reason == "started on GPU 0"


def test_illegal_transitions_are_refused_and_change_nothing(store, paths) -> None:
    job = store.create({}, run_dir=str(paths.runs / "b"))
    with pytest.raises(IllegalTransition):
        store.transition(job.id, JobStatus.RUNNING, "skipping the queue")
    assert store.get(job.id).status is JobStatus.PENDING
    assert len(store.history(job.id)) == 1


def test_metrics_are_stored_once_even_when_events_are_replayed(store, paths) -> None:
    job = store.create({}, run_dir=str(paths.runs / "c"))
    events = [
        {
            "event": "metric",
            "time": float(s),
            "step": s,
            "values": {"loss": 1.0 / s, "learning_rate": 1e-3},
        }
        for s in range(1, 101)
    ]
    events.append({"event": "eval", "time": 100.0, "step": 100, "values": {"eval_loss": 0.5}})
    assert store.add_metrics(job.id, events) == 201
    assert store.add_metrics(job.id, events[50:]) == 0  # a reattach replays the tail
    series = store.metric_series(job.id, "loss")
    assert len(series) == 100 and series[0] == (1, 1.0)
    assert store.metric_series(job.id, "eval_loss") == [(100, 0.5)]


def test_queue_order_follows_reordering(store, paths) -> None:
    ids = [store.create({}, run_dir=str(paths.runs / n)).id for n in "xyz"]
    assert [store.get(i).queue_position for i in ids] == [1, 2, 3]
    store.reorder([ids[2], ids[0], ids[1]])
    assert [store.get(i).queue_position for i in ids] == [2, 3, 1]


def test_duration_counts_running_time_over_every_run_and_never_paused_time(
    store, paths, monkeypatch
) -> None:
    """The clock is set by the test (the store's `utcnow`), so the seconds are exact."""
    from datetime import UTC, datetime, timedelta

    import app.jobs.store as store_module

    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    clock = {"now": start}
    monkeypatch.setattr(store_module, "utcnow", lambda: clock["now"])

    def at(seconds: int, status: JobStatus) -> None:
        clock["now"] = start + timedelta(seconds=seconds)
        store.transition(job.id, status, "test")

    job = store.create({"recipe": "x"}, run_dir=str(paths.runs / "j"), name="timed")
    at(0, JobStatus.QUEUED)
    assert store.get(job.id).run_time() is None  # not started yet
    at(5, JobStatus.RUNNING)
    at(15, JobStatus.PAUSED)  # 10 s running
    at(100, JobStatus.RUNNING)  # 85 s paused: not counted
    at(110, JobStatus.STOPPED)  # 10 s more
    assert store.get(job.id).run_time() == 20
    at(300, JobStatus.QUEUED)  # resume from a checkpoint
    assert store.get(job.id).finished_at is None
    at(400, JobStatus.RUNNING)
    running = store.get(job.id)
    assert running.run_time(now=(start + timedelta(seconds=407)).timestamp()) == 27
    at(410, JobStatus.COMPLETED)
    assert store.get(job.id).run_time() == 30


def test_setup_progress_is_kept_until_training_starts(store, paths) -> None:
    from app.jobs.event_sink import event_sink
    from app.jobs.render import format_event

    job = store.create({}, run_dir=str(paths.runs / "setup"))
    sink = event_sink(store, job.id)
    sink([{"event": "progress", "phase": "loading the model", "done": 0, "total": 1}], 10)
    assert store.get(job.id).setup_text() == "Loading the model…"
    tokenising = {"event": "progress", "phase": "tokenising", "done": 12_000, "total": 1_000_000}
    sink([tokenising], 20)
    assert store.get(job.id).setup_text() == "Tokenising 12,000 of 1,000,000…"
    assert store.get(job.id).setup_text(short=True) == "Tokenising 1%"
    assert format_event({**tokenising, "time": 0}).endswith("tokenising: 12,000 of 1,000,000")
    sink([{"event": "started", "total_steps": 30}], 30)
    assert store.get(job.id).setup_progress is None and store.get(job.id).setup_text() == ""

    # A stop during a resumed run's setup reached no step: the step reached before stays.
    sink([{"event": "metric", "step": 8, "epoch": 0.5, "values": {"loss": 1.0}}], 40)
    sink([{"event": "progress", "phase": "tokenising", "done": 5, "total": 9}], 50)
    sink([{"event": "stopped", "step": 0, "checkpoint": None}], 60)
    stopped = store.get(job.id)
    assert (stopped.last_step, stopped.setup_progress) == (8, None)

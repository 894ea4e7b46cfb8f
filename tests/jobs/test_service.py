"""The job service end to end: real database, real QProcess engines on a tiny preset."""

from __future__ import annotations

import pytest

from app.errors import UserError
from app.jobs.scheduler import Limits
from app.jobs.service import JobService
from app.jobs.states import JobStatus
from tests.engine.helpers import sft_rows, write_jsonl


@pytest.fixture
def service(core, qtbot):
    jobs = core.jobs
    assert isinstance(jobs, JobService) and jobs.limits == Limits(cpu_jobs=1)
    yield jobs
    jobs.shutdown(stop_jobs=True)
    for supervisor in list(jobs._supervisors.values()):
        supervisor.kill()


def _spec(data, **hyper) -> dict:
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {
            "max_steps": 10,
            "batch_size": 8,
            "learning_rate": 3e-3,
            "log_every": 1,
            **hyper,
        },
    }


def _wait_for(qtbot, service, job_id, status, timeout=180_000):
    qtbot.waitUntil(lambda: service.store.get(job_id).status == status, timeout=timeout)


def test_submit_runs_to_completed_with_metrics_in_the_database(service, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    job = service.submit(_spec(data), name="first")
    assert job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    with qtbot.waitSignal(service.job_finished, timeout=180_000):
        pass
    finished = service.store.get(job.id)
    assert finished.status is JobStatus.COMPLETED
    assert (finished.last_step, finished.total_steps) == (10, 10)
    assert [step for step, _v in service.store.metric_series(job.id, "loss")] == list(range(1, 11))
    path = [t.to_status for t in service.store.history(job.id)]
    assert path == [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.COMPLETED]


def test_pause_resume_and_stop_then_resume_from_checkpoint(service, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    job = service.submit(_spec(data, max_steps=300))
    qtbot.waitUntil(lambda: service.store.get(job.id).last_step >= 2, timeout=60_000)
    service.pause(job.id)
    _wait_for(qtbot, service, job.id, JobStatus.PAUSED, 30_000)
    service.resume(job.id)
    _wait_for(qtbot, service, job.id, JobStatus.RUNNING, 30_000)
    service.stop(job.id)
    _wait_for(qtbot, service, job.id, JobStatus.STOPPED, 60_000)
    stopped_at = service.store.get(job.id).last_step
    service.resume_from_checkpoint(job.id)
    qtbot.waitUntil(lambda: service.store.get(job.id).last_step > stopped_at, timeout=60_000)
    service.cancel(job.id)
    _wait_for(qtbot, service, job.id, JobStatus.CANCELLED, 60_000)
    steps = [s for s, _v in service.store.metric_series(job.id, "loss")]
    assert steps == sorted(set(steps))  # no step stored twice across stop and resume


def test_a_failing_job_does_not_stop_the_queue(service, qtbot, tmp_path):
    broken = write_jsonl(tmp_path / "broken.jsonl", [{"prompt": "only a prompt"}] * 4)
    good = write_jsonl(tmp_path / "good.jsonl", sft_rows(16))
    bad_job = service.submit(_spec(broken))
    good_job = service.submit(_spec(good, max_steps=3))
    assert service.store.get(good_job.id).status is JobStatus.QUEUED  # CPU limit 1
    _wait_for(qtbot, service, bad_job.id, JobStatus.FAILED)
    failed = service.store.get(bad_job.id)
    assert failed.failure_kind == "data" and "response" in failed.failure_reason
    _wait_for(qtbot, service, good_job.id, JobStatus.COMPLETED)


def test_invalid_specs_are_refused_before_anything_is_queued(service, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(4))
    with pytest.raises(UserError, match=r"hyperparameters\.batch_size"):
        service.submit(_spec(data, batch_size=0))
    with pytest.raises(UserError, match="does not exist"):
        service.submit(_spec(tmp_path / "missing.jsonl"))
    assert service.store.list() == []

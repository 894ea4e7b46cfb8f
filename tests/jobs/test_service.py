"""The job service end to end: real database, real QProcess engines on a tiny preset."""

from __future__ import annotations

import http.server
import os
import re
import signal
import socketserver
import threading
from pathlib import Path

import psutil
import pytest

from app.core import AppCore
from app.errors import NotFound, UserError
from app.jobs.scheduler import Limits
from app.jobs.service import JobService
from app.jobs.spec_files import read_spec, write_spec
from app.jobs.states import JobStatus
from app.jobs.supervisor import EngineSupervisor
from tests.engine.helpers import sft_rows, write_jsonl

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


@pytest.fixture
def service(core, qtbot):
    jobs = core.jobs
    assert isinstance(jobs, JobService) and jobs.limits == Limits(cpu_jobs=1)
    yield jobs
    for supervisor in list(jobs._supervisors.values()):
        supervisor.kill()
    jobs.shutdown()


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
    # The check before queueing reads the first 1,000 rows; the engine reads them all.
    rows = [*sft_rows(1_000), {"prompt": "only a prompt", "response": None}]
    broken = write_jsonl(tmp_path / "broken.jsonl", rows)
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
    assert service.store.jobs() == []


def test_invalid_columns_labels_and_models_are_named_before_queueing(service, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(4))
    spec = _spec(data)
    with pytest.raises(UserError, match=r"dataset\.response_column: .* no column 'answer'"):
        service.submit({**spec, "dataset": {**spec["dataset"], "response_column": "answer"}})
    with pytest.raises(UserError, match=r"model\.name: preset 'tiny-bert' is a sequence_class"):
        service.submit({**spec, "model": {"source": "preset", "name": "tiny-bert"}})
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    (model_dir / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(UserError, match=r"model\.path: .*pytorch_model\.bin, which are pickles"):
        service.submit({**spec, "model": {"source": "local", "path": str(model_dir)}})
    labelled = write_jsonl(
        tmp_path / "l.jsonl", [{"text": "a", "label": "x"}] * 3 + [{"text": "b"}]
    )
    classify = {
        "recipe": "text_classification",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {"path": str(labelled)},
    }
    with pytest.raises(UserError, match=r"dataset\.label_column: .*row 4: column 'label' is empty"):
        service.submit(classify)
    assert service.store.jobs() == []
    check = service.precheck(spec)
    assert check.estimate is not None and check.estimate.weights == 190_208 * 2


def test_kill_9_fails_as_interrupted_then_resumes_to_completion(service, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    job = service.submit(_spec(data, max_steps=60, checkpoint_every=5))
    qtbot.waitUntil(lambda: len(service.checkpoints(job.id)) >= 1, timeout=120_000)
    qtbot.waitUntil(lambda: service.store.get(job.id).pid is not None, timeout=10_000)
    os.kill(service.store.get(job.id).pid, signal.SIGKILL)
    _wait_for(qtbot, service, job.id, JobStatus.FAILED, 30_000)
    failed = service.store.get(job.id)
    assert failed.failure_kind == "interrupted"
    assert service.store.history(job.id)[-1].reason.startswith("interrupted")
    service.resume_from_checkpoint(job.id)
    _wait_for(qtbot, service, job.id, JobStatus.COMPLETED)
    steps = [s for s, _v in service.store.metric_series(job.id, "loss")]
    assert steps == list(range(1, 61))


def test_the_app_destroyed_mid_run_reattaches_and_loses_no_metric(qapp, qtbot, paths, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    first = AppCore(paths)
    first.open_database()
    job = first.jobs.submit(_spec(data, max_steps=80))
    qtbot.waitUntil(lambda: first.jobs.store.get(job.id).last_step >= 3, timeout=120_000)
    pid = first.jobs.store.get(job.id).pid
    first.shutdown()  # "keep training in the background"
    first.deleteLater()
    qtbot.wait(50)
    assert psutil.Process(pid).is_running()

    second = AppCore(paths)
    second.open_database()
    try:
        jobs = second.jobs  # reattaches on creation
        assert [j.id for j in jobs.running_jobs()] == [job.id]
        jobs.pause(job.id)  # control works on a reattached engine
        _wait_for(qtbot, jobs, job.id, JobStatus.PAUSED, 60_000)
        jobs.resume(job.id)
        _wait_for(qtbot, jobs, job.id, JobStatus.COMPLETED)
        steps = [s for s, _v in jobs.store.metric_series(job.id, "loss")]
        assert steps == list(range(1, 81))  # the unique index would hide duplicates: count
        count = len(jobs.store.metric_series(job.id, "learning_rate"))
        assert count == 80
    finally:
        for supervisor in list(second.jobs._supervisors.values()):
            supervisor.kill()
        second.shutdown()


def test_an_engine_gone_while_the_app_was_closed_is_failed_interrupted(
    qapp, qtbot, paths, tmp_path
):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    first = AppCore(paths)
    first.open_database()
    job = first.jobs.submit(_spec(data, max_steps=400))
    qtbot.waitUntil(lambda: first.jobs.store.get(job.id).last_step >= 2, timeout=120_000)
    pid = first.jobs.store.get(job.id).pid
    first.shutdown()
    os.kill(pid, signal.SIGKILL)
    second = AppCore(paths)
    second.open_database()
    try:
        qtbot.waitUntil(
            lambda: second.jobs.store.get(job.id).status == JobStatus.FAILED, timeout=10_000
        )
        assert second.jobs.store.get(job.id).failure_kind == "interrupted"
    finally:
        second.shutdown()


def test_clone_retry_export_import_and_delete(service, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(16))
    job = service.submit(_spec(data, max_steps=2), name="base")
    _wait_for(qtbot, service, job.id, JobStatus.COMPLETED)
    with pytest.raises(UserError, match="only a finished job"):
        service.retry(service.clone(job.id, {"hyperparameters.max_steps": 1}).id)
    exported = service.export_spec(job.id)
    assert "job_id" not in exported and "output_dir" not in exported
    path = service.export_spec_to(job.id, tmp_path / "spec.json")
    assert read_spec(path) == exported
    path.write_text('{"recipe": "causal_lm_sft", "nope": 1}')
    with pytest.raises(UserError, match=r"spec\.json: nope: is not a known field"):
        read_spec(path)
    for queued in service.store.jobs([JobStatus.QUEUED, JobStatus.RUNNING]):
        _wait_for(qtbot, service, queued.id, JobStatus.COMPLETED)
    retried = service.retry(job.id)
    assert retried.name == "base (retry)" and retried.spec["hyperparameters"]["max_steps"] == 2
    _wait_for(qtbot, service, retried.id, JobStatus.COMPLETED)
    # A finished job's supervisor (its QProcess and timers) does not outlive it, and its
    # first batch is read back from the run folder rather than kept in memory.
    qtbot.waitUntil(lambda: not service.findChildren(EngineSupervisor), timeout=10_000)
    assert service._samples == {}
    assert service.first_batch(retried.id)["event"] == "sample"
    run_dir = Path(job.run_dir)
    assert run_dir.exists()
    service.delete(job.id)
    assert not run_dir.exists() and job.id not in [j.id for j in service.store.jobs()]
    assert service.store.metric_series(job.id, "loss") == []
    # Gone is one plain error for every action, never a KeyError.
    for action in (service.retry, service.clone, service.export_spec, service.delete):
        with pytest.raises(NotFound, match=f"There is no job '{job.id}'"):
            action(job.id)


def test_a_spec_written_where_it_cannot_be_is_a_user_error_naming_the_path(tmp_path):
    tmp_path = tmp_path / "specs"
    tmp_path.mkdir()
    spec = _spec(tmp_path / "d.jsonl")
    missing = tmp_path / "no-such-folder" / "spec.json"
    with pytest.raises(UserError, match=re.escape(f"Cannot write {missing}")):
        write_spec(spec, missing)
    # A folder in the way (root may write anywhere, so no permission trick): refused
    # with the path, and the temporary file is gone.
    folder = tmp_path / "a-folder.json"
    folder.mkdir()
    with pytest.raises(UserError, match=re.escape(f"Cannot write {folder}")):
        write_spec(spec, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder.json"]
    assert read_spec(write_spec(spec, tmp_path / "ok.json")) == spec


class _SilentHub(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A stand-in for the Hub (no network here): records the Authorization header it gets
    and then holds the request open, so the engine stays alive to be inspected."""

    daemon_threads = True

    def __init__(self) -> None:
        self.authorizations: list[str] = []
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if "someone/model" not in self.path:  # the client's own calls (telemetry)
                    self.send_error(404)
                    return
                server.authorizations.append(self.headers.get("authorization", ""))
                server.release.wait(60)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *_args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_the_hub_token_reaches_the_engine_only_through_its_environment(
    secret_service, core, qtbot, tmp_path, monkeypatch
):
    token = "hf_" + "s3cr3t" * 6
    core.credentials.probe()
    core.credentials.set("huggingface", token)
    hub = _SilentHub()
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{hub.server_address[1]}")
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "60")
    # What the caller's environment may hold would keep the engine off the stand-in Hub:
    # offline switches, a token of the caller's own, or a cache that already has the model.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    service = core.jobs
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(4))
    spec = {**_spec(data), "model": {"source": "hub", "repo_id": "someone/model"}}
    job = service.submit(spec)
    try:
        qtbot.waitUntil(lambda: bool(hub.authorizations), timeout=60_000)
        assert hub.authorizations[0] == f"Bearer {token}"  # it did reach the engine
        engine = psutil.Process(service.store.get(job.id).pid)
        assert token not in " ".join(engine.cmdline())
        for process in [engine, *engine.parents()[:1]]:  # the engine and its launcher
            assert token not in " ".join(process.cmdline())
        service.cancel(job.id)  # stuck in a download: the stop escalates to signals
        _wait_for(qtbot, service, job.id, JobStatus.CANCELLED, 60_000)
    finally:
        hub.release.set()
        hub.shutdown()
    for path in Path(job.run_dir).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    core.database.close()
    for path in core.paths.root.rglob("*.db*"):
        assert token.encode() not in path.read_bytes(), path


def test_a_job_that_cannot_get_its_secret_fails_alone_and_the_queue_goes_on(
    no_secret_service, core, qtbot, tmp_path
):
    """No keyring and a locked encrypted store (issue #15, item 2): the hub job fails
    once, with what to do, and the preset job behind it still runs."""
    from app.credentials.encrypted_store import EncryptedFileStore

    # A store made earlier (holding the token), locked in this session.
    EncryptedFileStore(core.paths.root / "secrets.enc").unlock("a passphrase", "a passphrase")
    core.credentials.probe(timeout=10)
    assert core.credentials.needs_passphrase and core.credentials.file_store_exists
    service = core.jobs
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    hub = service.submit({**_spec(data), "model": {"source": "hub", "repo_id": "someone/m"}})
    preset = service.submit(_spec(data), name="behind it")
    _wait_for(qtbot, service, hub.id, JobStatus.FAILED, 30_000)
    failed = service.store.get(hub.id)
    assert failed.failure_kind == "secret"
    assert "secret store, which is locked" in failed.failure_reason
    assert "Settings → Accounts and tokens" in failed.failure_reason
    _wait_for(qtbot, service, preset.id, JobStatus.COMPLETED)
    assert service.store.get(hub.id).status == JobStatus.FAILED  # failed once, not retried


def test_the_window_asks_once_and_holds_the_job_back_meanwhile(
    no_secret_service, core, qtbot, tmp_path
):
    """With a way to ask (the window's dialog), a job needing a locked store's token is
    held back, not failed, the jobs behind it run, and the person is asked once."""
    from app.credentials.encrypted_store import EncryptedFileStore
    from app.errors import UserError

    EncryptedFileStore(core.paths.root / "secrets.enc").unlock("a passphrase", "a passphrase")
    core.credentials.probe(timeout=10)
    service = core.jobs
    asked: list[bool] = []
    service.secrets.ask = lambda: asked.append(True)
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    hub = {**_spec(data), "model": {"source": "hub", "repo_id": "someone/m"}}
    first, second = service.submit(hub), service.submit(hub)
    preset = service.submit(_spec(data), name="behind them")
    _wait_for(qtbot, service, preset.id, JobStatus.COMPLETED)
    assert asked == [True]  # once, for both
    assert {service.store.get(j.id).status for j in (first, second)} == {JobStatus.QUEUED}
    service.secret_refused(UserError("The store stayed locked.", "Unlock it, then retry."))
    for job in (first, second):
        assert service.store.get(job.id).status == JobStatus.FAILED
        assert service.store.get(job.id).failure_kind == "secret"
    third = service.submit(hub)  # asked once per session: now it fails at once
    _wait_for(qtbot, service, third.id, JobStatus.FAILED, 30_000)
    assert asked == [True]

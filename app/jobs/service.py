"""The job service: submit, queue, schedule, supervise, and keep the database true.

Every action a pane offers on jobs is a method here first. The scheduler runs
on every submission and every ending (and on a slow timer, for GPU memory that
frees up outside SparkTrainer).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QObject, QTimer, Signal

from app.errors import UserError
from app.jobs.scheduler import GpuSlot, Limits, QueuedJob, plan
from app.jobs.states import ACTIVE, JobStatus
from app.jobs.store import Job, JobStore, new_job_id
from app.jobs.supervisor import EngineSupervisor, Outcome
from app.notifications import Level
from engine.spec import SpecError, TrainingSpec

log = logging.getLogger(__name__)

SCHEDULE_EVERY_MS = 5_000
ENDINGS = {"completed": JobStatus.COMPLETED, "stopped": JobStatus.STOPPED}


class JobService(QObject):
    job_changed = Signal(str)
    job_finished = Signal(str, object)
    """Job id and its `Outcome`."""

    def __init__(
        self, core: Any, parent: QObject | None = None, limits: Limits | None = None
    ) -> None:
        super().__init__(parent)
        self._core = core
        self.store = JobStore(core.database)
        self.limits = limits or Limits()
        self._supervisors: dict[str, EngineSupervisor] = {}
        self._cancelling: set[str] = set()
        self._timer = QTimer(self, interval=SCHEDULE_EVERY_MS)
        self._timer.timeout.connect(self.schedule)
        self._timer.start()

    # -- submit ----------------------------------------------------------------------------

    def submit(
        self, spec: dict[str, Any], *, name: str = "", gpus: int = 0, priority: int = 0
    ) -> Job:
        """Validate, give the job its run directory, and queue it; errors name the field."""
        job_id = new_job_id()
        run_dir = self._core.paths.runs / job_id
        full = {**spec, "job_id": job_id, "output_dir": str(run_dir / "output")}
        try:
            TrainingSpec.from_dict(full)
        except SpecError as error:
            raise UserError(
                f"The job spec is invalid: {error}",
                f"Fix the field {error.field or 'named'} and submit again.",
            ) from error
        dataset = Path(full["dataset"]["path"])
        if not dataset.exists():
            raise UserError(
                f"dataset.path: {dataset} does not exist.",
                "Pick a dataset version that is in the store.",
            )
        self.store.create(
            full, run_dir=str(run_dir), name=name, gpus=gpus, priority=priority, job_id=job_id
        )
        self.store.transition(job_id, JobStatus.QUEUED, "submitted")
        self.job_changed.emit(job_id)
        self.schedule()
        return self.store.get(job_id)

    # -- scheduling ------------------------------------------------------------------------

    def schedule(self) -> None:
        queued = self.store.list([JobStatus.QUEUED])
        if not queued:
            return
        active = self.store.list(ACTIVE)
        inventory = self._core.hardware.inventory
        per_gpu: dict[int, int] = {}
        for job in active:
            for index in filter(None, (job.assigned_gpus or "").split(",")):
                per_gpu[int(index)] = per_gpu.get(int(index), 0) + 1
        gpus = [
            GpuSlot(g.index, g.memory_free or 0, per_gpu.get(g.index, 0)) for g in inventory.gpus()
        ]
        cpu_running = sum(1 for job in active if not job.assigned_gpus)
        result = plan(
            [QueuedJob(j.id, j.gpus_requested, 0, j.priority, j.queue_position) for j in queued],
            gpus,
            cpu_running,
            self.limits,
        )
        for job_id, indices in result.starts:
            self._launch(self.store.get(job_id), indices)

    def _launch(self, job: Job, gpus: tuple[int, ...]) -> None:
        run_dir = Path(job.run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        spec_path = run_dir / "spec.json"
        spec_path.write_text(json.dumps(job.spec, indent=2))
        needed = ["huggingface"] if job.spec.get("model", {}).get("source") == "hub" else []
        environment = self._core.credentials.engine_environment(needed) if needed else {}
        supervisor = EngineSupervisor(run_dir, self)
        supervisor.events_received.connect(lambda events, j=job.id: self._on_events(j, events))
        supervisor.ended.connect(lambda outcome, j=job.id: self._on_ended(j, outcome))
        self._supervisors[job.id] = supervisor
        devices = ",".join(map(str, gpus))
        supervisor.start(spec_path, environment, devices)
        if supervisor.pid is None:
            return  # `ended` already reported the failure to start
        where = f"GPU {devices}" if gpus else "the CPU"
        self.store.transition(
            job.id,
            JobStatus.RUNNING,
            f"started on {where}",
            pid=supervisor.pid,
            assigned_gpus=devices or None,
            process_start_time=psutil.Process(supervisor.pid).create_time(),
        )
        self.job_changed.emit(job.id)

    # -- following -------------------------------------------------------------------------

    def _on_events(self, job_id: str, events: list[dict[str, Any]]) -> None:
        self.store.add_metrics(job_id, events)  # one transaction per batch, not per event
        progress: dict[str, Any] = {"events_offset": self._supervisors[job_id].reader.offset}
        for event in events:
            kind = event["event"]
            if kind == "started":
                progress["total_steps"] = event["total_steps"]
            elif kind in ("metric", "checkpoint", "stopped", "completed"):
                progress["last_step"] = event["step"]
            elif kind == "paused":
                self.store.transition(job_id, JobStatus.PAUSED, "paused")
            elif kind == "resumed":
                self.store.transition(job_id, JobStatus.RUNNING, "resumed")
        self.store.update(job_id, **progress)
        self.job_changed.emit(job_id)

    def _on_ended(self, job_id: str, outcome: Outcome) -> None:
        self._supervisors.pop(job_id, None)
        if job_id in self._cancelling:
            self._cancelling.discard(job_id)
            status, reason = JobStatus.CANCELLED, "cancelled by the person"
        else:
            status = ENDINGS.get(outcome.kind, JobStatus.FAILED)
            reason = outcome.message.splitlines()[0] if outcome.message else outcome.kind
        current = self.store.get(job_id).status
        if current == JobStatus.QUEUED and status != JobStatus.FAILED:
            status = JobStatus.FAILED  # never started: it can only have failed
        fields = {"exit_code": outcome.exit_code, "pid": None}
        if status == JobStatus.FAILED:
            fields.update(
                failure_kind=outcome.failure_kind or outcome.kind, failure_reason=outcome.message
            )
        self.store.transition(job_id, status, reason, **fields)
        level = {JobStatus.COMPLETED: Level.SUCCESS, JobStatus.FAILED: Level.ERROR}.get(
            status, Level.INFO
        )
        name = self.store.get(job_id).name
        self._core.notifications.notify(
            f"Job {name} {status}", reason, level, source=f"job:{job_id}"
        )
        self.job_changed.emit(job_id)
        self.job_finished.emit(job_id, outcome)
        self.schedule()  # an overnight queue runs to the end, failures included

    # -- actions ---------------------------------------------------------------------------

    def _supervisor(self, job_id: str) -> EngineSupervisor:
        supervisor = self._supervisors.get(job_id)
        if supervisor is None:
            raise UserError(f"Job {job_id} is not running.")
        return supervisor

    def pause(self, job_id: str) -> None:
        self._supervisor(job_id).send("pause")

    def resume(self, job_id: str) -> None:
        self._supervisor(job_id).send("resume")

    def stop(self, job_id: str) -> None:
        """Checkpoint and stop; the job can be resumed later."""
        self._supervisor(job_id).stop()

    def cancel(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job.status in ACTIVE:
            self._cancelling.add(job_id)
            self._supervisor(job_id).stop()
        else:
            self.store.transition(job_id, JobStatus.CANCELLED, "cancelled by the person")
            self.job_changed.emit(job_id)

    def resume_from_checkpoint(self, job_id: str, checkpoint: str = "latest") -> Job:
        """Queue a stopped or failed job again, to continue from its checkpoint."""
        job = self.store.get(job_id)
        spec = {**job.spec, "resume_from": checkpoint}
        self.store.transition(
            job_id,
            JobStatus.QUEUED,
            f"resume from {checkpoint}",
            spec=spec,
            failure_kind=None,
            failure_reason=None,
        )
        self.job_changed.emit(job_id)
        self.schedule()
        return self.store.get(job_id)

    def shutdown(self, *, stop_jobs: bool = False) -> None:
        """Leave engines running (they are reattached later) unless asked to stop them."""
        self._timer.stop()
        for supervisor in list(self._supervisors.values()):
            if stop_jobs:
                supervisor.stop()

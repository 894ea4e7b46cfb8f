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

from PySide6.QtCore import QObject, QTimer, Signal

from app.errors import UserError
from app.jobs.deferred_writes import DeferredWrites
from app.jobs.endings import Outcome
from app.jobs.event_sink import event_sink
from app.jobs.job_records import JobRecords
from app.jobs.launch_record import find_engine, may_still_start
from app.jobs.precheck import Precheck, precheck, resolve_dataset
from app.jobs.results import ending_text
from app.jobs.scheduler import GpuSlot, Limits, QueuedJob, plan
from app.jobs.secret_gate import SecretGate
from app.jobs.spec_files import apply_changes, spec_template
from app.jobs.states import ACTIVE, JobStatus
from app.jobs.store import Job, JobStore, new_job_id
from app.jobs.supervisor import EngineSupervisor, engine_alive
from app.notifications import Level
from app.runtime.service import require_runtime
from engine.protocol import (
    OUTPUT_DIR,
)
from engine.recommended import with_recommended
from engine.run_dirs import SPEC_FILE, mark_run_dir

log = logging.getLogger(__name__)

SCHEDULE_EVERY_MS = 5_000
CANCEL_GRACE_MS = 5_000
"""A cancelled job needs no checkpoint: SIGTERM follows the stop command sooner."""
ENDINGS = {"completed": JobStatus.COMPLETED, "stopped": JobStatus.STOPPED}
INTERRUPTED = {"killed", "vanished"}


class JobService(JobRecords, QObject):
    job_changed = Signal(str)
    job_finished = Signal(str, object)
    """Job id and its `Outcome`."""
    # `object`, not `list`: PySide deep-converts a list argument to a QVariantList and back,
    # 13 ms for a chunk of 2,500 events on the GUI thread (measured); an object passes as is.
    events_arrived = Signal(str, object)
    """Job id and a batch of engine events, as parsed (curves and logs follow these live)."""
    submitted = Signal(str)
    """A job was queued (its dataset's "last used" changed)."""
    catching_up = Signal(str, int)
    """Job id and about how many of its written events are still being read (0: done)."""

    def __init__(
        self,
        core: Any,
        parent: QObject | None = None,
        limits: Limits | None = None,
        *,
        scheduling: bool = True,
    ) -> None:
        """`scheduling=False` (a read-only command): record how engines that ended without
        a scheduler finished, and nothing else: no engine is started or followed."""
        super().__init__(parent)
        self._core = core
        self.store = JobStore(core.database)
        self.limits = limits or Limits()
        self._supervisors: dict[str, EngineSupervisor] = {}
        self._cancelling: set[str] = set()
        self.secrets = SecretGate(core.credentials)
        self.stopping: set[str] = set()
        """Jobs asked to stop with a checkpoint that have not ended yet (seconds, until the
        step in progress ends): the table says "stopping…" meanwhile."""
        self._samples: dict[str, dict[str, Any]] = {}
        self.backlogs: dict[str, int] = {}
        """Job id → events still to read, for jobs catching up with a backlog."""
        self.scheduling = scheduling
        self._timer = QTimer(self, interval=SCHEDULE_EVERY_MS)
        self._timer.timeout.connect(self._tick)
        self.deferred = DeferredWrites(self._say_storage)
        """Records a full disk refused, saved again on the next tick with room."""
        if scheduling:
            self._timer.start()
        self.reattach()

    # -- submit ----------------------------------------------------------------------------

    def resolve(self, spec: dict[str, Any]) -> dict[str, Any]:
        return resolve_dataset(self._core.datasets, spec)

    def precheck(self, spec: dict[str, Any], gpus: int = 0) -> Precheck:
        return precheck(self.resolve(spec), gpus, self._core.hardware.inventory)

    def submit(
        self,
        spec: dict[str, Any],
        *,
        name: str = "",
        gpus: int = 0,
        priority: int = 0,
        checked: Precheck | None = None,
    ) -> Job:
        """Check, give the job its run directory, and queue it; errors name the field.

        `checked` is this spec's `precheck`, already run in a worker (the wizard's review,
        a terminal's hand-over): the check reads files, so it is not run again here, on
        what may be the GUI thread."""
        require_runtime()
        spec = self.resolve(spec)
        check = checked if checked is not None else self.precheck(spec_template(spec), gpus)
        job_id = new_job_id()
        run_dir = self._core.paths.runs / job_id
        # The tuned values the spec left out are written into the job, so a rerun trains the
        # same way whatever the table says later.
        full = {
            **with_recommended(spec),
            "job_id": job_id,
            "output_dir": str(run_dir / OUTPUT_DIR),
            "base_models_dir": str(self._core.paths.base_models),
        }
        self.store.create(
            full,
            run_dir=str(run_dir),
            name=name,
            gpus=gpus,
            priority=priority,
            job_id=job_id,
            memory_estimate=check.estimate.total if check.estimate else None,
        )
        self.store.transition(job_id, JobStatus.QUEUED, "submitted")
        dataset_path = spec.get("dataset", {}).get("path")
        if dataset_path:
            self._core.datasets.mark_used(str(dataset_path))
        self.job_changed.emit(job_id)
        self.submitted.emit(job_id)
        self.schedule()
        return self.store.get(job_id)

    # -- scheduling ------------------------------------------------------------------------

    def schedule(self) -> None:
        if not self.scheduling:
            return
        queued = [
            j for j in self.store.jobs([JobStatus.QUEUED]) if j.id not in self.secrets.waiting
        ]
        if not queued:
            return
        active = self.store.jobs(ACTIVE)
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
            [
                QueuedJob(
                    j.id, j.gpus_requested, j.memory_estimate or 0, j.priority, j.queue_position
                )
                for j in queued
            ],
            gpus,
            cpu_running,
            self.limits,
        )
        for job_id, indices in result.starts:
            self._launch(self.store.get(job_id), indices)

    def _launch(self, job: Job, gpus: tuple[int, ...]) -> None:
        try:
            environment = self.secrets.environment(job.id, job.spec)
        except UserError as error:
            self._fail_before_start(job, error)  # this job alone: the queue goes on
            return
        if environment is None:
            return  # waiting for the secret store; planned again later
        run_dir = Path(job.run_dir)
        mark_run_dir(run_dir)  # the engine writes only into run directories that are ours
        spec_path = run_dir / SPEC_FILE
        spec_path.write_text(json.dumps(job.spec, indent=2))
        devices = ",".join(map(str, gpus))
        where = f"GPU {devices}" if gpus else "the CPU"
        self.store.transition(
            job.id, JobStatus.RUNNING, f"started on {where}", assigned_gpus=devices or None
        )
        supervisor = self._follow(
            job.id, EngineSupervisor(run_dir, self, sink=event_sink(self.store, job.id))
        )
        supervisor.started.connect(lambda pid, j=job.id, s=supervisor: self._on_started(j, s))
        supervisor.start(spec_path, environment, devices)
        self.job_changed.emit(job.id)

    def secret_ready(self) -> None:
        """The store was unlocked: the held-back jobs are planned again."""
        self.secrets.answered()
        self.schedule()

    def secret_refused(self, error: UserError) -> None:
        """The person declined (or mistyped): the held-back jobs fail, each once."""
        for job_id in self.secrets.answered():
            job = self.store.get(job_id)
            if job.status == JobStatus.QUEUED:
                self._fail_before_start(job, error)
        self.schedule()

    def _fail_before_start(self, job: Job, error: UserError) -> None:
        reason = error.message
        self.store.transition(
            job.id,
            JobStatus.FAILED,
            reason,
            failure_kind="secret",
            failure_reason=str(error),
        )
        self._core.notifications.notify(
            f"Job {job.name} failed", str(error), Level.ERROR, source=f"job:{job.id}"
        )
        self.job_changed.emit(job.id)

    def _follow(self, job_id: str, supervisor: EngineSupervisor) -> EngineSupervisor:
        supervisor.events_received.connect(lambda events, j=job_id: self._on_events(j, events))
        supervisor.backlog_changed.connect(lambda n, j=job_id: self._on_backlog(j, n))
        supervisor.ended.connect(lambda outcome, j=job_id: self._on_ended(j, outcome))
        supervisor.responding_changed.connect(lambda _why, j=job_id: self.job_changed.emit(j))
        supervisor.storage_changed.connect(self._on_storage)
        self._supervisors[job_id] = supervisor
        return supervisor

    def _on_started(self, job_id: str, supervisor: EngineSupervisor) -> None:
        """Pid and start time go to the database: what a later app reattaches by."""
        pid, start_time = supervisor.pid, supervisor.start_time
        self.deferred.attempt(
            job_id, lambda: self.store.update(job_id, pid=pid, process_start_time=start_time)
        )

    def _tick(self) -> None:
        """Save what a full disk refused, then plan the queue (GPU memory freed outside)."""
        self.deferred.retry()
        if not self.deferred.problem:
            self.deferred.try_now(self.schedule)

    def _say_storage(self, problem: str) -> None:
        """Tell the person once that the disk is full (and once that it has room again)."""
        if problem:
            self._core.notifications.notify(
                "The disk is full", problem, Level.ERROR, source="storage"
            )
        for job_id in self._supervisors:
            self.job_changed.emit(job_id)

    def reattach(self) -> None:
        """Jobs left RUNNING or PAUSED by an earlier app: follow their engines again, or, if
        an engine is gone, ingest what it left and record how it ended."""
        for job in self.store.jobs(ACTIVE):
            if job.id in self._supervisors:
                continue
            supervisor = self._follow(
                job.id,
                EngineSupervisor(
                    Path(job.run_dir),
                    self,
                    events_offset=job.events_offset,
                    sink=event_sink(self.store, job.id),
                ),
            )
            run_dir = Path(job.run_dir)
            if job.pid is None and (find_engine(run_dir) or may_still_start(run_dir)):
                if self.scheduling:  # killed in the launch window: the engine may live on
                    supervisor.started.connect(
                        lambda _pid, j=job.id, s=supervisor: self._on_started(j, s)
                    )
                    supervisor.find_again()
                else:
                    supervisor.deleteLater()
                    self._supervisors.pop(job.id)
                continue
            alive = job.pid is not None and engine_alive(job.pid, job.process_start_time)
            if alive and not self.scheduling:
                supervisor.deleteLater()  # a scheduler follows it; a read-only look does not
                self._supervisors.pop(job.id)
                continue
            if job.pid is not None and supervisor.attach(job.pid, job.process_start_time):
                log.info("Reattached job %s (engine pid %s)", job.id, job.pid)
                self.job_changed.emit(job.id)
            else:
                log.info("Job %s: its engine is gone; ingesting what it left", job.id)
                supervisor.finish_detached()

    # -- following -------------------------------------------------------------------------

    def _on_events(self, job_id: str, events: list[dict[str, Any]]) -> None:
        """A chunk the sink already stored: only what changes state happens here."""
        for event in events:
            kind = event["event"]
            if kind == "paused":
                self._set_status(job_id, JobStatus.PAUSED, "paused")
            elif kind == "resumed":
                self._set_status(job_id, JobStatus.RUNNING, "resumed")
            elif kind == "sample":
                self._samples[job_id] = event
        self.job_changed.emit(job_id)
        self.events_arrived.emit(job_id, events)

    def _on_backlog(self, job_id: str, count: int) -> None:
        if count:
            self.backlogs[job_id] = count
        else:
            self.backlogs.pop(job_id, None)
        self.catching_up.emit(job_id, count)

    def _set_status(self, job_id: str, status: JobStatus, reason: str) -> None:
        def write() -> None:
            if self.store.get(job_id).status != status:
                self.store.transition(job_id, status, reason)

        self.deferred.attempt(job_id, write)

    def _on_storage(self, problem: str) -> None:
        """A supervisor could not store its events (a full disk), or can again."""
        if problem:
            self.deferred.failed(problem)
        elif not self.deferred.waiting_any():
            self.deferred.recovered()

    def _on_ended(self, job_id: str, outcome: Outcome) -> None:
        supervisor = self._supervisors.pop(job_id, None)
        if supervisor is not None:
            # Its QProcess and timers go with it (qutebrowser's GUIProcess does the same);
            # later, not now: this runs inside the supervisor's own signal.
            supervisor.deleteLater()
        self._samples.pop(job_id, None)  # a finished job's first batch is read from its file
        self.stopping.discard(job_id)
        if self.backlogs.pop(job_id, None):
            self.catching_up.emit(job_id, 0)
        if job_id in self._cancelling:
            self._cancelling.discard(job_id)
            status, reason = JobStatus.CANCELLED, "cancelled by the person"
        else:
            status = ENDINGS.get(outcome.kind, JobStatus.FAILED)
            reason = outcome.message.splitlines()[0] if outcome.message else outcome.kind
        # On a full disk the ending is kept and saved on a later tick: never a job left
        # "running" with nothing following it.
        if self.deferred.attempt(
            job_id, lambda: self._record_ending(job_id, outcome, status, reason)
        ):
            self._tick()  # an overnight queue runs to the end, failures included

    def _record_ending(self, job_id: str, outcome: Outcome, status: JobStatus, reason: str) -> None:
        current = self.store.get(job_id).status
        if current not in ACTIVE:
            log.warning("Job %s ended (%s) while %s; status kept", job_id, outcome.kind, current)
            self.job_changed.emit(job_id)
            return
        fields: dict[str, Any] = {"exit_code": outcome.exit_code, "pid": None}
        if status == JobStatus.FAILED:
            kind = "interrupted" if outcome.kind in INTERRUPTED else outcome.kind
            fields.update(failure_kind=outcome.failure_kind or kind, failure_reason=outcome.message)
            if outcome.kind in INTERRUPTED and not reason.startswith("interrupted"):
                reason = f"interrupted: {reason}"
        self.store.transition(job_id, status, reason, **fields)
        level = {JobStatus.COMPLETED: Level.SUCCESS, JobStatus.FAILED: Level.ERROR}.get(
            status, Level.INFO
        )
        job = self.store.get(job_id)
        self._core.notifications.notify(
            f"Job {job.name} {status}", ending_text(job, reason), level, source=f"job:{job_id}"
        )
        self.job_changed.emit(job_id)
        self.job_finished.emit(job_id, outcome)

    # -- actions ---------------------------------------------------------------------------

    def _supervisor(self, job_id: str) -> EngineSupervisor:
        supervisor = self._supervisors.get(job_id)
        if supervisor is None and self.deferred.waiting(job_id):
            raise UserError(
                f"Job {job_id} has ended; how it ended is saved once the disk has room.",
                "Free some space on the disk that holds SparkTrainer's data.",
            )
        if supervisor is None:
            raise UserError(f"Job {job_id} is not running.")
        return supervisor

    def pause(self, job_id: str) -> None:
        self._supervisor(job_id).send("pause")

    def not_responding(self, job_id: str) -> str:
        """Why a running job's engine looks hung, or "" (watchdog.py)."""
        supervisor = self._supervisors.get(job_id)
        return supervisor.hung if supervisor is not None else ""

    def resume(self, job_id: str) -> None:
        self._supervisor(job_id).send("resume")

    def stop(self, job_id: str) -> None:
        """Checkpoint and stop; the job can be resumed later."""
        self._supervisor(job_id).stop()
        self.stopping.add(job_id)
        self.job_changed.emit(job_id)

    def cancel(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job.status in ACTIVE:
            self._cancelling.add(job_id)
            self._supervisor(job_id).stop(grace_ms=CANCEL_GRACE_MS)
        else:
            self.store.transition(job_id, JobStatus.CANCELLED, "cancelled by the person")
            self.job_changed.emit(job_id)

    def resume_from_checkpoint(self, job_id: str, checkpoint: str = "latest") -> Job:
        """Queue a stopped or failed job again, to continue from its checkpoint."""
        job = self.store.get(job_id)
        if checkpoint == "latest" and not self.checkpoints(job_id):
            raise UserError(
                f"Job {job.name} has no checkpoint to resume from.",
                "Retry it instead: it starts again from the beginning.",
            )
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

    def move_in_queue(self, job_id: str, before: str | None) -> list[str]:
        """Put a queued job just before another queued job (None: at the end); returns the
        new queue order. Priority still comes first when the scheduler picks."""
        queued = sorted(self.store.jobs([JobStatus.QUEUED]), key=lambda j: j.queue_position)
        order = [job.id for job in queued]
        if job_id not in order:
            raise UserError("Only a queued job can be moved in the queue.")
        order.remove(job_id)
        order.insert(order.index(before) if before in order else len(order), job_id)
        self.store.reorder(order)
        for moved in order:
            self.job_changed.emit(moved)
        return order

    def clone(self, job_id: str, changes: dict[str, Any] | None = None, *, name: str = "") -> Job:
        """A new job with this job's spec, some fields changed (dotted paths)."""
        job = self.store.get(job_id)
        spec = apply_changes(spec_template(job.spec), changes or {})
        return self.submit(
            spec, name=name or f"{job.name} (copy)", gpus=job.gpus_requested, priority=job.priority
        )

    def retry(self, job_id: str) -> Job:
        """Run a finished job's spec again from the beginning, as a new job; the old one
        keeps its curves and history."""
        job = self.store.get(job_id)
        if job.status in ACTIVE or job.status == JobStatus.QUEUED:
            raise UserError(f"Job {job.name} is {job.status}; only a finished job is retried.")
        return self.clone(job_id, name=f"{job.name} (retry)")

    def running_jobs(self) -> list[Job]:
        return [self.store.get(job_id) for job_id in self._supervisors]

    def settling(self) -> bool:
        """Engines still being followed or ingested (a read-only service waits for these)."""
        return bool(self._supervisors)

    def shutdown(self, *, stop_jobs: bool = False) -> None:
        """Leave engines training (a later app reattaches) or ask them to checkpoint and
        stop; either way they finish on their own, without this process."""
        self._timer.stop()
        for supervisor in list(self._supervisors.values()):
            if stop_jobs:
                supervisor.send("stop")
            supervisor.release()
        self._supervisors.clear()

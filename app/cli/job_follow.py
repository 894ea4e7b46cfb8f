"""`job submit --wait`: follow one job, and keep the queue going whoever started it.

A terminal that became the scheduler owns the queue (DESIGN.md §1: one scheduler at a
time): when its own job ends it prints the result and runs on until no job is running
and none it could start is queued, so jobs other terminals queued through it are never
left half-launched or waiting. A terminal that follows a job another scheduler runs takes
the queue over when that scheduler goes away (the window closed, the owning terminal was
ended): the lock is free, so it becomes the scheduler and reattaches the engines.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QTimer

from app.cli.terminal import shown
from app.jobs.render import ProgressLine
from app.jobs.states import ACTIVE, JobStatus
from app.paths import DataPaths

if TYPE_CHECKING:
    from app.jobs.headless import HeadlessScheduler
    from app.jobs.store import Job, JobStore

EXIT_BY_STATUS = {"completed": 0, "stopped": 3}
POLL_SECONDS = 0.5
WAITING = frozenset({JobStatus.PENDING, JobStatus.QUEUED, *ACTIVE})


class Follower:
    """One terminal's view of its job; the scheduler when it owns (or takes) the queue."""

    def __init__(self, paths: DataPaths, job_id: str, scheduler: HeadlessScheduler | None):
        from app.cli.job_command import open_store

        self.paths, self.job_id, self.scheduler = paths, job_id, scheduler
        self.store: JobStore = scheduler.jobs.store if scheduler is not None else open_store(paths)
        self.progress = ProgressLine(sys.stderr, sys.stderr.isatty())
        self.interrupts: list[float] = []
        self._candidate: HeadlessScheduler | None = None
        self._stopping = False
        self._loop = QEventLoop()
        self._result: dict[str, Any] = {}
        self._done = False

    def run(self) -> int:
        previous = signal.signal(signal.SIGINT, lambda *_: self.interrupts.append(time.monotonic()))
        try:
            self._until(self._follow_tick)
            code = self._report_own()
            if self.scheduler is not None and "job" in self._result and not self.interrupts:
                self._run_rest_of_queue()
        finally:
            signal.signal(signal.SIGINT, previous)
            if self.scheduler is not None:
                self.scheduler.close()
        return code

    def _until(self, tick: Callable[[], None]) -> None:
        """Run `tick` every POLL_SECONDS (and now) until it quits the loop."""
        self._loop = QEventLoop()
        timer = QTimer(interval=int(POLL_SECONDS * 1000))
        timer.timeout.connect(tick)
        timer.start()
        self._done = False
        tick()
        if not self._done:
            self._loop.exec()
        timer.stop()

    def _quit(self) -> None:
        self._done = True
        self._loop.quit()

    # -- one's own job ---------------------------------------------------------------------

    def _follow_tick(self) -> None:
        if self.scheduler is None and not self.interrupts:
            self._take_over_if_abandoned()
        job = self.store.get(self.job_id)
        if self.interrupts and not self._stopping:
            self._stopping = True
            if self.scheduler is None:
                self._result["code"] = 130
                return self._quit()
            self.progress.finish(
                "Stopping with a checkpoint… (Ctrl-C again: leave it training in the background)"
            )
            if job.status in ACTIVE:
                self.scheduler.jobs.stop(self.job_id)
        elif len(self.interrupts) > 1:
            self._result["code"] = 130
            return self._quit()
        if job.status in WAITING:
            loss = self.store.latest_metric(self.job_id, "loss")
            jobs = self.scheduler.jobs if self.scheduler is not None else None
            hung = jobs.not_responding(self.job_id) if jobs is not None else ""
            full = jobs is not None and bool(jobs.deferred.problem)
            status = "disk full" if full else "not responding" if hung else str(job.status)
            if job.setup_progress and not (full or hung):
                status = job.setup_text()
            self.progress.update(status, job.last_step, job.total_steps, loss)
            return None
        self._result["job"] = job
        return self._quit()

    def _take_over_if_abandoned(self) -> None:
        """The scheduler this job was handed to is gone (its lock is free): become it."""
        from app.jobs.headless import HeadlessScheduler

        if self._candidate is None:
            self._candidate = HeadlessScheduler(self.paths)
        if not self._candidate.acquire():
            return
        self.scheduler, self._candidate = self._candidate, None
        self.progress.finish(
            "The SparkTrainer that ran the queue has gone; this terminal runs it now."
        )
        self.store = self.scheduler.start().store  # reattaches the engines it left

    def _report_own(self) -> int:
        from app.jobs.results import ending_text

        if "job" not in self._result:
            self.progress.finish(f"Stopped following {self.job_id}; it goes on.")
            return int(self._result.get("code", 130))
        job: Job = self._result["job"]
        text = f"{job.id}: {job.status} at step {job.last_step}"
        if job.failure_reason:
            text += f"\n{job.failure_reason}"
        elif job.status == JobStatus.COMPLETED:
            text += f" · {ending_text(job, '')}".replace("\n", "\n  ")
        self.progress.finish(text)
        return EXIT_BY_STATUS.get(str(job.status), 1)

    # -- the rest of the queue -------------------------------------------------------------

    def _run_rest_of_queue(self) -> None:
        assert self.scheduler is not None
        jobs = self.scheduler.jobs
        jobs.schedule()
        if not self._busy():
            self._say_what_waits()
            return
        running = {job.id for job in jobs.store.jobs(ACTIVE)}
        queued = jobs.store.jobs([JobStatus.QUEUED])
        print(
            f"This terminal runs the queue, so it goes on until the queue is empty: "
            f"{len(running)} running, {len(queued)} queued (Ctrl-C: leave them to the next "
            "SparkTrainer; running ones train on).",
            file=sys.stderr,
        )
        seen = set(running)

        def tick() -> None:
            if self.interrupts:
                return self._quit()
            for job in jobs.store.jobs(ACTIVE):
                if job.id not in seen:
                    seen.add(job.id)
                    print(f"{job.id} ({shown(job.name)}): started", file=sys.stderr)
            for job_id in list(seen):
                job = jobs.store.get(job_id)
                if job.status not in WAITING:
                    seen.discard(job_id)
                    print(f"{job.id} ({shown(job.name)}): {job.status}", file=sys.stderr)
            if not self._busy():
                jobs.schedule()  # one more chance for a job that was planned for later
                if not self._busy():
                    self._quit()
            return None

        self._until(tick)
        if self.interrupts:
            print(
                "Left the queue; SparkTrainer reattaches running jobs when it opens.",
                file=sys.stderr,
            )
        else:
            self._say_what_waits()

    def _busy(self) -> bool:
        assert self.scheduler is not None
        jobs = self.scheduler.jobs
        return bool(jobs.store.jobs(ACTIVE)) or jobs.settling()

    def _say_what_waits(self) -> None:
        assert self.scheduler is not None
        left = self.scheduler.jobs.store.jobs([JobStatus.QUEUED])
        if left:
            print(
                f"{len(left)} queued job(s) cannot start on this machine now (not enough free "
                "GPUs or memory); they start when SparkTrainer opens or a job is submitted "
                "with --wait.",
                file=sys.stderr,
            )

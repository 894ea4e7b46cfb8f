"""The queue without a window: a command-line process becomes the one scheduler.

Used by `job submit` when no SparkTrainer runs (DESIGN.md §1: one scheduler
at a time). It holds the single-instance lock and answers `job …` requests
from other terminals exactly as the GUI would; on close its engines train on,
to be reattached by whichever scheduler starts next.
"""

from __future__ import annotations

import getpass
import sys

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from app.core import AppCore
from app.jobs.remote import handle_message
from app.jobs.service import JobService
from app.paths import DataPaths
from app.single_instance import SingleInstance

FIRST_SAMPLE_TIMEOUT_MS = 3_000


def ensure_core_application() -> QCoreApplication:
    return QCoreApplication.instance() or QCoreApplication(["sparktrainer"])


class HeadlessScheduler:
    def __init__(self, paths: DataPaths) -> None:
        ensure_core_application()
        self.paths = paths
        self.instance = SingleInstance(paths.root)
        self.core: AppCore | None = None

    def acquire(self) -> bool:
        """False when another scheduler (the GUI or another terminal) holds the lock."""
        self.paths.ensure()
        return self.instance.acquire()

    def start(self) -> JobService:
        core = self.core = AppCore(self.paths)
        core.open_database()
        core.start_hardware()
        # The window looks for the secret store in the background; here it is looked for
        # now, and a locked encrypted store asks on the terminal when a job needs it.
        core.credentials.probe(timeout=10)
        if sys.stdin.isatty():
            core.credentials.passphrase_prompt = lambda: getpass.getpass(
                "A job needs a token; passphrase of the secret store: "
            )
        self._wait_for_first_sample(core)
        jobs = core.jobs  # reattaches engines left running
        self.instance.handler = lambda message: handle_message(jobs, message)
        return jobs

    @property
    def jobs(self) -> JobService:
        assert self.core is not None
        return self.core.jobs

    @staticmethod
    def _wait_for_first_sample(core: AppCore) -> None:
        """The scheduler places GPU jobs by the GPUs' free memory: read it once first."""
        loop = QEventLoop()
        core.hardware.sampled.connect(loop.quit)
        QTimer.singleShot(FIRST_SAMPLE_TIMEOUT_MS, loop.quit)
        if core.hardware.latest is None:
            loop.exec()
        core.hardware.sampled.disconnect(loop.quit)

    def close(self, *, stop_jobs: bool = False) -> None:
        if self.core is not None:
            self.core.shutdown(stop_jobs=stop_jobs)
            self.core = None
        self.instance.handler = None
        self.instance.release()


def reconcile_ended(paths: DataPaths, timeout_s: float = 60.0) -> None:
    """Record how jobs whose engines ended with no scheduler running (an SSH drop during
    `job submit --wait`) finished, so `job list` / `job show` report it. Does nothing while
    a scheduler runs (it keeps them current) and never starts a queued job."""
    from app.jobs.states import ACTIVE
    from app.jobs.store import JobStore
    from app.jobs.supervisor import engine_alive

    if not paths.database.exists():
        return
    core = AppCore(paths)
    core.open_database()
    try:
        ended = [
            job
            for job in JobStore(core.database).jobs(ACTIVE)
            if job.pid is None or not engine_alive(job.pid, job.process_start_time)
        ]
        if not ended:
            return
        scheduler = HeadlessScheduler(paths)
        if not scheduler.acquire():
            return
        try:
            service = JobService(core, scheduling=False)
            loop = QEventLoop()
            timer = QTimer(interval=50)
            timer.timeout.connect(lambda: None if service.settling() else loop.quit())
            timer.start()
            QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            if service.settling():
                loop.exec()
            timer.stop()
            service.shutdown()
        finally:
            scheduler.instance.release()
    finally:
        core.shutdown()

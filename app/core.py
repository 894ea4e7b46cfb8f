"""The application core: the services every pane and command share.

Built once by the composition root (`main.py`) for the GUI, the command line
and tests alike. The database opens off the GUI thread after the first frame,
because SQLAlchemy and Alembic cost more to import than the window does to
show; services that need it wait for `database_ready`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.notifications import NotificationService
from app.paths import DataPaths
from app.settings import Settings
from app.tasks import LONG, TaskState, run_task

if TYPE_CHECKING:
    from app.builder.library import NetworkLibrary
    from app.credentials.service import CredentialService
    from app.datasets.store import DatasetStore
    from app.db.database import Database
    from app.hardware.monitor import HardwareMonitor
    from app.jobs.service import JobService
    from app.labeling.service import LabelingService
    from app.models.registry import ModelRegistry

log = logging.getLogger(__name__)


class AppCore(QObject):
    database_ready = Signal()
    database_failed = Signal(str)

    def __init__(self, paths: DataPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = Settings(paths.settings_file, self)
        self.notifications = NotificationService(self.settings, self)
        self._database: Database | None = None
        self._waiting: list[Callable[[Database], None]] = []
        self._hardware: HardwareMonitor | None = None
        self._credentials: CredentialService | None = None
        self._jobs: JobService | None = None
        self._datasets: DatasetStore | None = None
        self._models: ModelRegistry | None = None
        self._labeling: LabelingService | None = None
        self._networks: NetworkLibrary | None = None

    @property
    def datasets(self) -> DatasetStore:
        """The dataset store; needs the open database. Removes imports a crash cut short."""
        if self._datasets is None:
            from app.datasets.store import DatasetStore

            self._datasets = DatasetStore(self.database, self.paths.datasets)
            self._datasets.remove_partial()
        return self._datasets

    @property
    def jobs(self) -> JobService:
        """The queue, scheduler and engine supervision; needs the open database."""
        if self._jobs is None:
            from app.jobs.service import JobService

            self.database  # noqa: B018 - raises a clear error while the database is not open
            self._jobs = JobService(self, self)
            self._jobs.job_finished.connect(self._register_model)
        return self._jobs

    @property
    def models(self) -> ModelRegistry:
        """The model registry; needs the open database."""
        if self._models is None:
            from app.jobs.store import JobStore
            from app.models.registry import ModelRegistry
            from app.models.store import ModelStore

            database = self.database
            self._models = ModelRegistry(
                self.paths, ModelStore(database), JobStore(database), self.datasets, self
            )
        return self._models

    @property
    def networks(self) -> NetworkLibrary:
        """Builder networks saved by name; needs the open database."""
        if self._networks is None:
            from app.builder.library import NetworkLibrary

            self._networks = NetworkLibrary(self.database)
        return self._networks

    @property
    def labeling(self) -> LabelingService:
        """Labeling projects; needs the open database."""
        if self._labeling is None:
            from app.labeling.service import LabelingService
            from app.labeling.store import LabelStore

            self._labeling = LabelingService(LabelStore(self.database), self.datasets)
        return self._labeling

    def _register_model(self, job_id: str, outcome: object) -> None:
        if getattr(outcome, "kind", "") == "completed":
            self.models.register_job(job_id)

    @property
    def credentials(self) -> CredentialService:
        """Secrets; `probe_credentials_async` finds the store off the GUI thread."""
        if self._credentials is None:
            from app.credentials.service import CredentialService

            self._credentials = CredentialService(self.paths, self)
        return self._credentials

    def probe_credentials_async(self) -> None:
        service = self.credentials
        if not service.probed:
            run_task(lambda _s: service.probe(), context=self, kind=LONG)

    @property
    def hardware(self) -> HardwareMonitor:
        """The 1 Hz sampler and GPU inventory; built on first use, started by `start_hardware`."""
        if self._hardware is None:
            from app.hardware.monitor import HardwareMonitor

            self.use_hardware_monitor(HardwareMonitor(self.paths.root, self))
        assert self._hardware is not None
        return self._hardware

    def use_hardware_monitor(self, monitor: HardwareMonitor) -> None:
        """Replace the sampler before first use (tests give one a GPU stand-in)."""
        from app.hardware.alerts import ThresholdAlerts

        if self._hardware is not None:
            self._hardware.stop()
        self._hardware = monitor
        alerts = ThresholdAlerts(self.settings, self.notifications, monitor)
        monitor.sampled.connect(alerts.check)

    def start_hardware(self) -> None:
        self.hardware.start()

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError("the database is not open yet; use when_database_ready")
        return self._database

    @property
    def database_is_open(self) -> bool:
        return self._database is not None

    def open_database(self) -> Database:
        """Open and migrate synchronously: for the command line and tests."""
        from app.db.database import Database

        if self._database is None:
            self._attach(Database(self.paths.database))
        return self.database

    def open_database_async(self) -> None:
        """Open and migrate in the thread pool; emits `database_ready` or `database_failed`."""
        from app.errors import UserError

        path = self.paths.database

        def work(_state: TaskState) -> Database:
            from app.db.database import Database

            return Database(path)

        def failed(error: BaseException, text: str) -> None:
            log.error("Could not open the database %s:\n%s", path, text)
            self.database_failed.emit(
                str(
                    UserError(
                        f"Could not open the database {path}: {error}",
                        "Check that the disk is not full and the file is writable.",
                    )
                )
            )

        run_task(work, on_done=self._attach, on_error=failed)

    def when_database_ready(self, callback: Callable[[Database], None]) -> None:
        if self._database is not None:
            callback(self._database)
        else:
            self._waiting.append(callback)

    def _attach(self, database: Database) -> None:
        self._database = database
        self.notifications.attach_database(database)
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback(database)
        self.database_ready.emit()

    @property
    def has_jobs(self) -> bool:
        """Whether the job service was started (and may be supervising engines)."""
        return self._jobs is not None

    def shutdown(self, *, stop_jobs: bool = False, wait_ms: int = 5_000) -> bool:
        """`stop_jobs` asks running engines to checkpoint and stop; otherwise they train on
        and the next start reattaches them. Background tasks are cancelled and waited for
        at most `wait_ms` before the database closes. False when a thread would not end in
        time (then the process must leave without waiting for it: see `views.application`)."""
        from app.tasks import shut_down

        if self._jobs is not None:
            self._jobs.shutdown(stop_jobs=stop_jobs)
        clean = shut_down(wait_ms)
        if self._hardware is not None:
            clean = self._hardware.stop() and clean
        self.settings.sync()
        if self._database is not None:
            self._database.close()
            self._database = None
        return clean

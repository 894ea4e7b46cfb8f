"""The jobs table: a row per job, status in colour, progress, ETA, and a proxy to
filter by status and search by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from app.jobs.scheduler import queue_places
from app.jobs.states import JobStatus
from app.jobs.store import Job
from views.widgets.progress_delegate import ProgressRole
from views.widgets.table_model import Index, RowTableModel

SortRole = Qt.ItemDataRole.UserRole + 2
JobRole = Qt.ItemDataRole.UserRole + 3

STATUS_COLOURS = {
    JobStatus.PENDING: "#868e96",
    JobStatus.QUEUED: "#868e96",
    JobStatus.RUNNING: "#1c7ed6",
    JobStatus.PAUSED: "#f08c00",
    JobStatus.COMPLETED: "#2f9e44",
    JobStatus.FAILED: "#e03131",
    JobStatus.CANCELLED: "#868e96",
    JobStatus.STOPPED: "#ae3ec9",
}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def elapsed(job: Job, now: float | None = None) -> float | None:
    """Running time (JobStore keeps it: resumes add to it, pauses do not count)."""
    return job.run_time(now)


def eta(job: Job, now: float | None = None) -> float | None:
    """From the steps done since the start; None until there is something to go on."""
    if job.status != JobStatus.RUNNING or not job.total_steps or job.last_step <= 0:
        return None
    spent = elapsed(job, now)
    if not spent:
        return None
    return spent / job.last_step * max(0, job.total_steps - job.last_step)


def model_name(spec: dict[str, Any]) -> str:
    model = spec.get("model", {})
    source = model.get("source")
    if source == "preset":
        return model.get("name", "?")
    if source == "local":
        return Path(model.get("path", "?")).name
    if source == "hub":
        return model.get("repo_id", "?")
    if source == "architecture":
        return "builder network"
    return "?"


def dataset_name(spec: dict[str, Any], names: dict[str, str]) -> str:
    """`names` maps a dataset folder (`…/datasets/ID`) to "Name"; a version folder gives vN."""
    path = Path(str(spec.get("dataset", {}).get("path", "")))
    for folder, name in names.items():
        try:
            relative = path.relative_to(folder)
        except ValueError:
            continue
        return f"{name} {relative.parts[0]}" if relative.parts else name
    return path.name


class JobTableModel(RowTableModel[Job]):
    HEADERS = (
        "Name",
        "Status",
        "Progress",
        "Step",
        "ETA",
        "GPU",
        "Dataset",
        "Model",
        "Started",
        "Duration",
    )
    PROGRESS_COLUMN = 2

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.dataset_names: dict[str, str] = {}
        self._places: dict[str, int] = {}
        """Queued job id → its place in the queue (1: starts next), as the scheduler sees it."""
        self._backlogs: dict[str, int] = {}
        """Job id → events still being read after a restart ("catching up")."""
        self.stopping: set[str] = set()
        """Jobs stopping with a checkpoint (the job service's set, shared)."""
        self.not_responding: Callable[[str], str] = lambda _job_id: ""
        """Why a running job's engine looks hung (the job service's watchdog), or ""."""

    def set_backlog(self, job_id: str, count: int) -> None:
        if count:
            self._backlogs[job_id] = count
        elif self._backlogs.pop(job_id, None) is None:
            return
        row = self.find(job_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 1), self.index(row, 1))

    def set_rows(self, rows: list[Job]) -> None:
        super().set_rows(rows)
        self._on_queue_changed()

    def _on_queue_changed(self) -> None:
        queued = [j for j in self._rows if j.status == JobStatus.QUEUED]
        places = queue_places([(j.id, j.priority, j.queue_position) for j in queued])
        if places == self._places:
            return
        changed = set(places.items()) ^ set(self._places.items())
        self._places = places
        for job_id in {job_id for job_id, _place in changed}:
            row = self.find(job_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row, 1), self.index(row, 1))

    def queue_place(self, job_id: str) -> int | None:
        return self._places.get(job_id)

    def find(self, job_id: str) -> int:
        for row, job in enumerate(self._rows):
            if job.id == job_id:
                return row
        return -1

    def update_job(self, job: Job) -> None:
        row = self.find(job.id)
        if row < 0:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(job)
            self.endInsertRows()
        else:
            self._rows[row] = job
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
        self._on_queue_changed()

    def remove_job(self, job_id: str) -> None:
        row = self.find(job_id)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            self._on_queue_changed()

    def tick(self) -> None:
        """Durations and ETAs of running jobs move with the clock."""
        for row, job in enumerate(self._rows):
            if job.status in (JobStatus.RUNNING, JobStatus.PAUSED):
                self.dataChanged.emit(self.index(row, 4), self.index(row, 9))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        job = self.row(index)
        if job is None:
            return None
        column = index.column()
        if role == JobRole:
            return job
        if role == ProgressRole:
            if job.status == JobStatus.COMPLETED:
                return 1.0
            return job.last_step / job.total_steps if job.total_steps else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, column)
        if role == SortRole:
            return self._sort_key(job, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QColor(STATUS_COLOURS.get(job.status, "#868e96"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if job.failure_reason and column == 1:
                return job.failure_reason
            hung = self.not_responding(job.id) if column == 1 else ""
            if hung:
                return f"The engine is not responding: {hung}. Stop ends it quickly."
            return f"{job.name} ({job.id})"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4, 9):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, job: Job, column: int) -> str:
        if column == 0:
            return job.name
        if column == 1:
            place = self._places.get(job.id)
            if job.status == JobStatus.QUEUED and place is not None:
                return f"queued #{place}"
            if job.id in self.stopping and job.status in (JobStatus.RUNNING, JobStatus.PAUSED):
                return "stopping…"
            if job.status == JobStatus.RUNNING and self.not_responding(job.id):
                return "not responding"
            backlog = self._backlogs.get(job.id)
            if backlog:
                return f"{job.status} · catching up {backlog:,} events"
            return str(job.status)
        if column == 2:
            if job.setup_progress and job.status == JobStatus.RUNNING:
                return job.setup_text(short=True)  # before the first step: what it does
            fraction = self.data(self.index(self.find(job.id), 2), ProgressRole)
            return "" if fraction is None else f"{fraction:.0%}"
        if column == 3:
            total = f" / {job.total_steps:,}" if job.total_steps else ""
            return f"{job.last_step:,}{total}" if job.last_step or total else ""
        if column == 4:
            return duration(eta(job))
        if column == 5:
            return (
                f"GPU {job.assigned_gpus}"
                if job.assigned_gpus
                else ("CPU" if job.status in (JobStatus.RUNNING, JobStatus.PAUSED) else "")
            )
        if column == 6:
            return dataset_name(job.spec, self.dataset_names)
        if column == 7:
            return model_name(job.spec)
        if column == 8:
            started = _utc(job.started_at)
            return started.astimezone().strftime("%Y-%m-%d %H:%M") if started else ""
        if column == 9:
            return duration(elapsed(job))
        return ""

    def _sort_key(self, job: Job, column: int) -> Any:
        if column == 1:
            return (str(job.status), self._places.get(job.id, 0))
        if column == 2:
            return self.data(self.index(self.find(job.id), 2), ProgressRole) or 0.0
        if column == 3:
            return job.last_step
        if column == 4:
            return eta(job) or 0.0
        if column == 8:
            return job.started_at.timestamp() if job.started_at else 0.0
        if column == 9:
            return elapsed(job) or 0.0
        return self._text(job, column).lower()


class JobFilterModel(QSortFilterProxyModel):
    """Status filter (None: all) and a case-insensitive search over name, model and dataset."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self._statuses: set[JobStatus] | None = None
        self._search = ""

    def set_statuses(self, statuses: set[JobStatus] | None) -> None:
        self.beginFilterChange()
        self._statuses = statuses
        self.endFilterChange()

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._search = text.strip().lower()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        job: Job | None = model.data(model.index(source_row, 0, source_parent), JobRole)
        if job is None:
            return False
        if self._statuses is not None and job.status not in self._statuses:
            return False
        if self._search:
            haystack = (
                " ".join(
                    str(model.data(model.index(source_row, c, source_parent)) or "")
                    for c in (0, 6, 7)
                ).lower()
                + f" {job.id}"
            )
            return self._search in haystack
        return True

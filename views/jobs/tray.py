"""The tray menu's running jobs: name, progress and ETA, rebuilt each time it opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:  # the store imports SQLAlchemy, which start-up does not pay for
    from app.jobs.store import Job


def describe(job: Job) -> str:
    from views.jobs.models import duration, eta

    parts = [job.name, str(job.status)]
    if job.total_steps:
        parts.append(f"{job.last_step / job.total_steps:.0%}")
    remaining = eta(job)
    if remaining is not None:
        parts.append(f"ETA {duration(remaining)}")
    return " · ".join(parts)


class RunningJobsMenu:
    """Keeps a section at the top of `menu`: one entry per running job (opens it)."""

    def __init__(
        self, menu: QMenu, running: Callable[[], list[Job]], open_job: Callable[[str], None]
    ) -> None:
        self._menu, self._running, self._open_job = menu, running, open_job
        self._actions: list[QAction] = []
        menu.aboutToShow.connect(self.rebuild)

    def rebuild(self) -> list[QAction]:
        for action in self._actions:
            self._menu.removeAction(action)
            action.deleteLater()
        self._actions = []
        first = self._menu.actions()[0] if self._menu.actions() else None
        jobs = self._running()
        entries = [describe(job) for job in jobs] or ["No job is running"]
        for job, text in zip(jobs or [None], entries, strict=True):
            action = QAction(text, self._menu)
            if job is None:
                action.setEnabled(False)
            else:
                action.triggered.connect(lambda _c=False, job_id=job.id: self._open_job(job_id))
            self._actions.append(action)
        separator = QAction(self._menu)
        separator.setSeparator(True)
        self._actions.append(separator)
        self._menu.insertActions(first, self._actions)
        return self._actions

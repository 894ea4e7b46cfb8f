"""A job's "Try it": its model in the Models pane's playground once it completed, or any of
its checkpoints in a playground window of their own while it is paused, stopped or failed."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from app.core import AppCore
from app.jobs.states import JobStatus
from app.jobs.store import Job
from app.models.playground import Target, targets_for_job
from app.tasks import run_task
from views.models.playground import PlaygroundWindow


def can_try(job: Job, checkpoints: int | None) -> bool:
    return job.status == JobStatus.COMPLETED or bool(checkpoints)


def try_job(parent: QWidget, core: AppCore, job: Job) -> None:
    show_pane = getattr(parent.window(), "show_pane", None)
    if job.status == JobStatus.COMPLETED and show_pane is not None:
        registry = core.models

        def opened(model: Any) -> None:
            if model is None:
                QMessageBox.information(parent, "No model", "This job's output folder is gone.")
            else:
                show_pane("models").try_model(model.id)

        run_task(lambda _s: registry.for_job(job.id), on_done=opened, context=parent)
        return

    def show(targets: list[Target]) -> None:
        if not targets:
            QMessageBox.information(parent, "Nothing to try yet", "This job has no checkpoint yet.")
            return
        window = PlaygroundWindow(job.name, targets, job.spec.get("recipe", ""), core.settings)
        window.show()

    run_task(lambda _s: targets_for_job(job), on_done=show, context=parent)

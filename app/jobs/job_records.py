"""What a person does with a job's record and files rather than with its engine: its
first batch, checkpoints, deletion and spec export (a part of `JobService`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import SignalInstance

from app.errors import UserError
from app.jobs.run_files import checkpoint_folders
from app.jobs.spec_files import spec_template, write_spec
from app.jobs.states import ACTIVE, JobStatus
from app.jobs.store import JobStore
from engine.protocol import EVENTS_FILE, last_event


class JobRecords:
    store: JobStore
    job_changed: SignalInstance
    _samples: dict[str, dict[str, Any]]

    def first_batch(self, job_id: str) -> dict[str, Any] | None:
        """The engine's `sample` event (the first batch, decoded): kept in memory while the
        job runs, read from events.jsonl after, so call it off the GUI thread."""
        if job_id in self._samples:
            return self._samples[job_id]
        return last_event(Path(self.store.get(job_id).run_dir) / EVENTS_FILE, "sample")

    def checkpoints(self, job_id: str) -> list[Path]:
        return checkpoint_folders(Path(self.store.get(job_id).run_dir))

    def delete(self, job_id: str) -> None:
        """Remove the job, its history, metrics and run directory (the caller confirms)."""
        job = self.store.get(job_id)
        if job.status in ACTIVE or job.status == JobStatus.QUEUED:
            raise UserError(
                f"Job {job.name} is {job.status}.", "Stop or cancel it before deleting it."
            )
        run_dir = Path(job.run_dir)
        if run_dir.exists():
            # Renamed first, so a crash halfway never leaves a half-deleted run that looks whole.
            doomed = run_dir.with_name(f".deleting-{run_dir.name}")
            run_dir.rename(doomed)
            self.store.delete(job_id)
            shutil.rmtree(doomed, ignore_errors=True)
        else:
            self.store.delete(job_id)
        self.job_changed.emit(job_id)

    def export_spec(self, job_id: str) -> dict[str, Any]:
        """The spec to save as JSON: submit it again anywhere with `job submit`."""
        return spec_template(self.store.get(job_id).spec)

    def export_spec_to(self, job_id: str, path: Path) -> Path:
        """Save the job's spec as a template file (Export spec… and `job export -o`)."""
        return write_spec(self.store.get(job_id).spec, path)

"""Quitting with jobs running: keep them training in the background, or stop them."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from app.jobs.store import Job


class QuitChoice(Enum):
    KEEP = "keep"
    """Engines train on; the next start reattaches them."""
    STOP = "stop"
    """Each engine checkpoints and stops; resumable later."""
    CANCEL = "cancel"
    """Do not quit."""


def ask_about_running_jobs(parent: QWidget | None, jobs: list[Job]) -> QuitChoice:
    names = "\n".join(
        f"• {job.name}: step {job.last_step} of {job.total_steps or '?'}" for job in jobs[:8]
    )
    if len(jobs) > 8:
        names += f"\n… and {len(jobs) - 8} more"
    box = QMessageBox(parent)
    box.setObjectName("quit-with-jobs")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Jobs are running")
    box.setText(f"{len(jobs)} training job(s) are running.")
    box.setInformativeText(
        f"{names}\n\nThey can keep training without the window; SparkTrainer "
        "reconnects to them the next time it opens."
    )
    keep = box.addButton("&Keep training in the background", QMessageBox.ButtonRole.AcceptRole)
    stop = box.addButton("&Stop with a checkpoint", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    clicked = box.clickedButton()
    if clicked is keep:
        return QuitChoice.KEEP
    if clicked is stop:
        return QuitChoice.STOP
    return QuitChoice.CANCEL

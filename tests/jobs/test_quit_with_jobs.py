"""Closing the window while a job trains: keep it, stop it with a checkpoint, or stay."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.jobs.states import JobStatus
from tests.engine.helpers import sft_rows, write_jsonl

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


def _spec(data) -> dict:
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {"max_steps": 2_000, "batch_size": 8},
    }


def _answer_with(label: str) -> None:
    """Clicks a button of the quit question once it is up (it runs its own event loop)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, click)
            return
        (button,) = [b for b in box.buttons() if b.text().replace("&", "").startswith(label)]
        button.click()

    QTimer.singleShot(50, click)


def _running_session(start_session, paths, qtbot, tmp_path):
    session = start_session(paths)
    qtbot.waitUntil(lambda: session.core.database_is_open and session.core.has_jobs, timeout=30_000)
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    job = session.core.jobs.submit(_spec(data), name="long")
    store = session.core.jobs.store
    qtbot.waitUntil(lambda: store.get(job.id).last_step >= 2, timeout=120_000)
    return session, job


def test_cancel_keeps_the_window_and_stop_checkpoints_then_the_next_start_shows_stopped(
    start_session, paths, qtbot, tmp_path
):
    session, job = _running_session(start_session, paths, qtbot, tmp_path)
    _answer_with("Cancel")
    session.window.close()
    assert session.window.isVisible()

    _answer_with("Stop with a checkpoint")
    session.window.close()
    assert not session.window.isVisible() and session.window.stop_jobs_on_quit
    session.close()

    again = start_session(paths)
    qtbot.waitUntil(lambda: again.core.database_is_open and again.core.has_jobs, timeout=30_000)
    store = again.core.jobs.store
    qtbot.waitUntil(lambda: store.get(job.id).status == JobStatus.STOPPED, timeout=120_000)
    assert again.core.jobs.checkpoints(job.id)  # resumable


def test_keep_training_leaves_the_engine_running_and_the_next_start_reattaches(
    start_session, paths, qtbot, tmp_path
):
    session, job = _running_session(start_session, paths, qtbot, tmp_path)
    _answer_with("Keep training")
    session.window.close()
    session.close()

    again = start_session(paths)
    qtbot.waitUntil(lambda: again.core.database_is_open and again.core.has_jobs, timeout=30_000)
    jobs = again.core.jobs
    assert [j.id for j in jobs.running_jobs()] == [job.id]
    before = jobs.store.get(job.id).last_step
    qtbot.waitUntil(lambda: jobs.store.get(job.id).last_step > before + 2, timeout=60_000)
    jobs.cancel(job.id)
    qtbot.waitUntil(lambda: jobs.store.get(job.id).status == JobStatus.CANCELLED, timeout=60_000)

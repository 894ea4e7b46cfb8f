"""The Jobs pane stays true to the database: deleted jobs leave the table, the queue
shows real places, and a file error is a message, not a crash. Real SQLite and the real
service; the scheduler is held so the jobs stay queued (no engine is needed)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.errors import NotFound, UserError
from app.jobs.spec_files import read_spec
from tests.conftest import hold_queue
from tests.engine.helpers import sft_rows, write_jsonl
from views.jobs.pane import JobsPane

TIMEOUT = 30_000


@pytest.fixture
def held(core):
    """The job service with its scheduler held: jobs stay where they are put."""
    return hold_queue(core.jobs)


@pytest.fixture
def pane(core, held, qtbot):
    widget = JobsPane(core)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitUntil(lambda: widget.service is not None, timeout=10_000)
    return widget


def _spec(data) -> dict:
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {"max_steps": 2, "batch_size": 4},
    }


def _status_text(pane, job_id: str) -> str:
    row = pane.jobs.find(job_id)
    return "" if row < 0 else pane.jobs.index(row, 1).data()


def test_queued_shows_the_place_in_the_queue(pane, held, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    first = held.submit(_spec(data), name="first")
    qtbot.waitUntil(lambda: _status_text(pane, first.id) == "queued #1", timeout=TIMEOUT)
    second = held.submit(_spec(data), name="second")
    urgent = held.submit(_spec(data), name="urgent", priority=5)
    qtbot.waitUntil(lambda: _status_text(pane, second.id) == "queued #3", timeout=TIMEOUT)
    assert _status_text(pane, urgent.id) == "queued #1"  # priority first, as the scheduler
    assert _status_text(pane, first.id) == "queued #2"
    held.cancel(urgent.id)
    qtbot.waitUntil(lambda: _status_text(pane, second.id) == "queued #2", timeout=TIMEOUT)
    assert _status_text(pane, first.id) == "queued #1"
    assert _status_text(pane, urgent.id) == "cancelled"


def test_a_job_deleted_from_the_pane_leaves_the_table_and_is_not_found(
    pane, held, qtbot, tmp_path, monkeypatch
):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    job = held.submit(_spec(data), name="doomed")
    held.cancel(job.id)
    qtbot.waitUntil(lambda: _status_text(pane, job.id) == "cancelled", timeout=TIMEOUT)
    pane.select_job(job.id)
    qtbot.waitUntil(lambda: pane.actions_by_key["delete"].isEnabled(), timeout=TIMEOUT)
    box = pane.perform("delete")
    assert isinstance(box, QMessageBox)
    next(b for b in box.buttons() if b.text() == "Delete").click()
    qtbot.waitUntil(lambda: pane.jobs.find(job.id) < 0, timeout=TIMEOUT)
    assert pane.stack.currentIndex() == 0  # "No jobs yet" again
    assert pane.detail.job is None
    with pytest.raises(NotFound):
        held.retry(job.id)
    assert job.id not in [j.id for j in held.store.jobs()]
    # A tab that was loading the deleted job says nothing: the job is simply gone.
    from app.tasks import pending
    from views.jobs import detail as detail_module

    shown: list[BaseException] = []
    monkeypatch.setattr(detail_module, "show_user_error", lambda _p, e: shown.append(e))
    monkeypatch.setattr("sys.excepthook", lambda *args: shown.append(args[1]))
    pane.detail._load_sample(job)
    pane.detail._load_checkpoints(job)
    qtbot.waitUntil(lambda: pending() == 0, timeout=TIMEOUT)
    assert shown == []


def test_exporting_a_spec_to_an_unwritable_place_shows_a_message_naming_it(
    pane, held, qtbot, tmp_path, monkeypatch
):
    # The crash hook is where run_task's policy sends what no caller handled: a UserError
    # there is shown plainly (not the crash dialog); an OSError would be a bug.
    crashes = []
    monkeypatch.setattr("sys.excepthook", lambda *args: crashes.append(args))
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    job = held.submit(_spec(data), name="exported")
    target = tmp_path / "folder.json"
    target.mkdir()  # a folder where the file should go: the write fails
    pane.export_spec(job.id, target)
    qtbot.waitUntil(lambda: bool(crashes), timeout=TIMEOUT)
    error = crashes[0][1]
    assert type(error) is UserError and f"Cannot write {target}" in str(error)
    good = tmp_path / "spec.json"
    pane.export_spec(job.id, good)
    qtbot.waitUntil(good.exists, timeout=TIMEOUT)
    assert read_spec(good)["model"] == {"source": "preset", "name": "tiny-gpt2"}


def test_names_with_markup_are_shown_as_text(pane, held, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    name = "<b>bold</b> & <i>x"
    job = held.submit(_spec(data), name=name)
    qtbot.waitUntil(lambda: pane.jobs.find(job.id) >= 0, timeout=TIMEOUT)
    pane.select_job(job.id)
    qtbot.waitUntil(lambda: pane.detail.job is not None, timeout=TIMEOUT)
    title = pane.detail.title.text()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;x" in title
    held.cancel(job.id)
    qtbot.waitUntil(lambda: _status_text(pane, job.id) == "cancelled", timeout=TIMEOUT)
    pane.select_job(job.id)
    qtbot.waitUntil(lambda: pane.actions_by_key["delete"].isEnabled(), timeout=TIMEOUT)
    box = pane.perform("delete")
    assert box.textFormat() == Qt.TextFormat.PlainText and name in box.text()
    box.close()

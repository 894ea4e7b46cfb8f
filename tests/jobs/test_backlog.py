"""A night's events left unread: the window starts at once and catches up in chunks, off
the GUI thread, showing how far behind it is. Real SQLite, real service; the engine's
events file is written by the test (the engine itself is long gone)."""

from __future__ import annotations

import json
import time

from PySide6.QtCore import Qt

from app.jobs.states import JobStatus
from engine.protocol import EVENTS_FILE, READ_CHUNK_BYTES
from views.jobs.pane import JobsPane

EVENTS = 20_000


def _write_backlog(run_dir, count: int) -> int:
    run_dir.mkdir(parents=True)
    now = time.time()
    lines = [
        {
            "event": "started",
            "job_id": "night",
            "pid": 0,
            "device": "cpu",
            "total_steps": count,
            "resumed_from_step": 0,
        }
    ]
    lines += [
        {"event": "metric", "step": step, "epoch": 0.0, "values": {"loss": 1.0 / step}}
        for step in range(1, count + 1)
    ]
    lines.append({"event": "completed", "step": count, "output_path": "-", "final": {}})
    text = "".join(json.dumps({**line, "time": now}) + "\n" for line in lines)
    (run_dir / EVENTS_FILE).write_text(text)
    return len(text)


def test_a_backlog_is_caught_up_in_chunks_off_the_gui_thread(core, qtbot, paths):
    from app.jobs.store import JobStore

    run_dir = paths.runs / "night"
    size = _write_backlog(run_dir, EVENTS)
    assert size > 3 * READ_CHUNK_BYTES  # several chunks, or the test proves nothing
    store = JobStore(core.database)
    store.create({"recipe": "causal_lm_sft"}, run_dir=str(run_dir), job_id="night")
    store.transition("night", JobStatus.QUEUED, "test")
    store.transition("night", JobStatus.RUNNING, "test")  # no pid: its engine is gone

    service = core.jobs  # what the window does at start-up: reattach
    # Nothing was read on this (the GUI) thread: the constructor returned at once.
    assert store.metric_series("night", "loss") == []
    pane = JobsPane(core)
    qtbot.addWidget(pane)
    pane.show()
    batches: list[int] = []
    shown: list[str] = []

    def on_backlog(job_id: str, count: int) -> None:
        if count:
            row = pane.jobs.find(job_id)
            if row >= 0:
                shown.append(pane.jobs.index(row, 1).data())

    service.events_arrived.connect(lambda _j, events: batches.append(len(events)))
    service.catching_up.connect(on_backlog, type=Qt.ConnectionType.QueuedConnection)
    with qtbot.waitSignal(service.job_finished, timeout=120_000):
        pass
    assert store.get("night").status == JobStatus.COMPLETED
    steps = [step for step, _v in store.metric_series("night", "loss")]
    assert steps == list(range(1, EVENTS + 1))  # every event once, in order
    assert len(batches) >= 3 and max(batches) < EVENTS  # in chunks, never all at once
    assert service.backlogs == {}
    assert any("catching up" in text for text in shown), shown
    qtbot.waitUntil(lambda: "catching up" not in pane.jobs.index(0, 1).data(), timeout=10_000)

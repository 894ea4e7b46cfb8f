"""The Logs tab shows the run's log as `job logs` prints it, live, each line once."""

from __future__ import annotations

import json
from pathlib import Path

from app.jobs.render import format_event
from views.jobs.log_view import LogView


def _event(kind: str, time: float, **fields) -> dict:
    return {"event": kind, "time": time, **fields}


def test_a_healthy_run_has_a_readable_log_that_grows_live(qtbot, tmp_path: Path) -> None:
    written = [
        _event("started", 1.0, job_id="j", pid=1, device="cpu", total_steps=3, resumed_from_step=0),
        _event("metric", 2.0, step=1, epoch=0.3, values={"loss": 1.25}),
        _event("log", 2.5, level="warning", message="hyperparameters differ"),
    ]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in written))
    view = LogView()
    qtbot.addWidget(view)
    view.follow(tmp_path, live=True)
    # arrives live while the file is still being read: already in the file, shown once
    view.add_events([written[1]])
    qtbot.waitUntil(lambda: "step 1  loss 1.25" in view.shown_text(), timeout=5000)
    assert view.shown_text().count("step 1  loss 1.25") == 1
    assert "started on cpu: 3 steps" in view.shown_text()
    view.add_events([_event("metric", 3.0, step=2, epoch=0.6, values={"loss": 0.5})])
    assert view.shown_text().splitlines()[-1] == format_event(
        _event("metric", 3.0, step=2, epoch=0.6, values={"loss": 0.5})
    )
    view.level.setCurrentIndex(view.level.findData(30))  # warnings and errors
    assert view.shown_text().strip().endswith("[warning] hyperparameters differ")
    assert "loss" not in view.shown_text()

"""A setup phase reported a few times a second reads as a few lines in a log: its start,
each tenth and its end (`job logs`, the Logs tab), while bars still get every event."""

from __future__ import annotations

from app.jobs.render import ProgressThinning
from app.jobs.run_files import log_events
from engine.protocol import EVENTS_FILE, EventWriter


def _progress(phase: str, done: int, total: int) -> dict:
    return {"event": "progress", "phase": phase, "done": done, "total": total}


def test_a_phase_keeps_its_start_each_tenth_and_its_end() -> None:
    thinning = ProgressThinning()
    events = [_progress("tokenising", done, 1000) for done in range(0, 1001, 7)]
    events.append(_progress("tokenising", 1000, 1000))
    kept = [e["done"] for e in events if thinning.keep(e)]
    assert kept[0] == 0 and kept[-1] == 1000
    assert [done * 10 // 1000 for done in kept[1:-1]] == list(range(1, 10))
    # Phases of one step, and every other event, are always kept.
    assert thinning.keep(_progress("loading the model", 0, 1))
    assert thinning.keep(_progress("loading the model", 1, 1))
    assert thinning.keep({"event": "metric", "step": 1, "values": {}})
    # A phase run again (a second tokenising pass) starts its tenths afresh.
    assert thinning.keep(_progress("tokenising", 0, 1000))
    assert thinning.keep(_progress("tokenising", 150, 1000))


def test_the_log_of_a_run_file_is_thinned_and_the_live_events_go_on_from_it(tmp_path) -> None:
    writer = EventWriter(tmp_path)
    for done in range(0, 501, 5):
        writer.emit("progress", phase="checking images", done=done, total=500)
    writer.emit("progress", phase="checking images", done=250, total=1000)  # later file
    thinning = ProgressThinning()
    lines, _last = log_events(tmp_path / EVENTS_FILE, thinning=thinning)
    shown = [text for _level, text in lines]
    assert len(shown) == 12  # 0, each tenth (50 … 450), 500; then 250 of 1,000
    assert shown[0].endswith("checking images: 0 of 500")
    assert shown[-2].endswith("checking images: 500 of 500")
    # The live events after the file continue its tenths: 260 of 1,000 is no new tenth.
    assert not thinning.keep(_progress("checking images", 260, 1000))
    assert thinning.keep(_progress("checking images", 300, 1000))

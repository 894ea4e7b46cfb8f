"""The job detail view with a million loss points (and ten million, which must not crash).

A job is stored with N loss points (and a learning rate every 100 steps) in a
fresh data folder, written straight through sqlite3 in a separate process.
A fresh GUI process then opens it in the real Jobs pane's detail view and
measures, against the same actions on a job with no points in the same run:

* open: from choosing the job to the first paint of its curves (SQLite cuts
  each series to the screen; every point then loads in the background, whose
  time is printed too);
* redraw after a pan, once every point is loaded: moving the visible step
  range, recutting the full arrays and repainting synchronously; the median
  and the worst of 30 pans.

Targets at 1,000,000 points: open ≤ 1 s, redraw ≤ 16 ms. At 10,000,000 the
run must finish, and the figures are printed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.common import Figure

ROOT = Path(__file__).resolve().parents[2]
TARGET_OPEN_S = 1.0
TARGET_REDRAW_MS = 16.0

MAKE = r"""
import sqlite3, sys, time
import numpy as np
from app.db.database import Database
from app.jobs.states import JobStatus
from app.jobs.store import JobStore
from app.paths import data_paths

points = int(sys.argv[1])
paths = data_paths().ensure()
database = Database(paths.database)
store = JobStore(database)
spec = {"recipe": "causal_lm_sft", "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": "bench.jsonl"}, "hyperparameters": {"max_steps": points}}
ids = []
for name in ("empty", "big"):
    job = store.create(spec, run_dir=str(paths.runs / name), name=name)
    store.transition(job.id, JobStatus.QUEUED, "bench")
    store.transition(job.id, JobStatus.RUNNING, "bench")
    store.transition(job.id, JobStatus.COMPLETED, "bench", last_step=points, total_steps=points)
    ids.append(job.id)
database.close()
connection = sqlite3.connect(paths.database)
rng = np.random.default_rng(0)
chunk = 1_000_000
start = time.time()
for first in range(1, points + 1, chunk):
    steps = np.arange(first, min(first + chunk, points + 1))
    loss = 3.0 * np.exp(-steps / (points / 4)) + rng.random(len(steps)) * 0.2
    rows = zip([ids[1]] * len(steps), ["metric"] * len(steps), steps.tolist(),
               ["loss"] * len(steps), loss.tolist(), (start + steps * 0.01).tolist())
    connection.executemany(
        "INSERT INTO job_metrics (job_id, kind, step, name, value, time) VALUES (?,?,?,?,?,?)",
        rows)
    lr = steps[::100]
    connection.executemany(
        "INSERT INTO job_metrics (job_id, kind, step, name, value, time) VALUES (?,?,?,?,?,?)",
        [(ids[1], "metric", int(s), "learning_rate", 1e-4 * (1 - s / points), start + s * 0.01)
         for s in lr])
    connection.commit()
connection.close()
print(ids[0], ids[1])
"""

MEASURE = r"""
import json, statistics, sys, time
from PySide6.QtCore import QEvent, QObject
from app.core import AppCore
from app.paths import data_paths
from views.application import ensure_application
from views.theme import ThemeController

empty_id, big_id = sys.argv[1], sys.argv[2]
app = ensure_application()
core = AppCore(data_paths())
ThemeController(app, core.settings)
core.open_database()
from views.jobs.detail import JobDetail

detail = JobDetail(core)
detail.resize(1200, 800)
detail.show()
app.processEvents()

class Painted(QObject):
    count = 0
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            Painted.count += 1
        return False

painter = Painted()
detail.plot.graphics.viewport().installEventFilter(painter)

def until(condition, limit=600.0):
    start = time.perf_counter()
    while not condition():
        app.processEvents()
        if time.perf_counter() - start > limit:
            raise SystemExit("timed out")

detailed = []
detail.detailed.connect(detailed.append)

def open_job(job_id):
    job = core.jobs.store.get(job_id)
    loaded = []
    detail.loaded.connect(loaded.append)
    global opened_at
    start = opened_at = time.perf_counter()
    detail.show_job(job)
    until(lambda: loaded)
    before = Painted.count
    detail.plot.graphics.viewport().update()  # an empty plot has nothing that asks for a paint
    until(lambda: Painted.count > before, limit=60.0)
    elapsed = time.perf_counter() - start
    detail.loaded.disconnect()
    return elapsed

def pans(count=30):
    plot = next(iter(detail.plot._plots.values()), None)
    times = []
    if plot is None:  # the empty job: repaint an empty plot area the same way
        for _ in range(count):
            start = time.perf_counter()
            detail.plot.redraw()
            detail.plot.graphics.viewport().repaint()
            times.append(time.perf_counter() - start)
        return times
    low, high = plot.getViewBox().viewRange()[0]
    width = (high - low) / 3
    for index in range(count):
        left = low + (high - low - width) * index / count
        start = time.perf_counter()
        plot.setXRange(left, left + width, padding=0)  # the pan: recut and redraw
        detail.plot.graphics.viewport().repaint()
        times.append(time.perf_counter() - start)
    return times

result = {}
for label, job_id in (("empty", empty_id), ("big", big_id)):
    opened = open_job(job_id)
    everything = None
    if label == "big":  # then every point arrives in the background, for zooming in
        until(lambda: detailed)
        everything = time.perf_counter() - opened_at
    times = pans()
    result[label] = {
        "open": opened,
        "everything": everything,
        "redraw_median_ms": statistics.median(times) * 1000,
        "redraw_worst_ms": max(times) * 1000,
        "points": detail.plot.point_count(),
        "shown": detail.plot.shown_points(),
    }
    detail.show_job(None)
    app.processEvents()
print(json.dumps(result))
core.shutdown()
"""


def _measure(points: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as folder:
        env = {**os.environ, "SPARKTRAINER_HOME": folder, "QT_QPA_PLATFORM": "offscreen"}
        ids = subprocess.run(
            [sys.executable, "-c", MAKE, str(points)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        output = subprocess.run(
            [sys.executable, "-c", MEASURE, *ids],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(*, quick: bool = False) -> list[Figure]:
    name = "job_detail"
    figures: list[Figure] = []
    sizes = ((200_000 if quick else 1_000_000, True), (2_000_000 if quick else 10_000_000, False))
    for points, targets in sizes:
        result = _measure(points)
        empty, big = result["empty"], result["big"]
        label = f"{points:,} points"
        if targets:
            figures += [
                Figure(name, "empty job: open (baseline)", empty["open"] * 1000, "ms"),
                Figure(name, "empty plot: redraw (baseline)", empty["redraw_median_ms"], "ms"),
            ]
        figures += [
            Figure(name, f"{label}: loaded", big["points"], "points"),
            Figure(name, f"{label}: handed to pyqtgraph", big["shown"], "points"),
            Figure(
                name,
                f"{label}: open",
                big["open"],
                "s",
                f"≤ {TARGET_OPEN_S}" if targets else "",
                big["open"] <= TARGET_OPEN_S if targets else None,
            ),
            Figure(name, f"{label}: open / empty", big["open"] / empty["open"], "×"),
            Figure(name, f"{label}: every point loaded (background)", big["everything"], "s"),
            Figure(
                name,
                f"{label}: redraw after a pan (median)",
                big["redraw_median_ms"],
                "ms",
                f"≤ {TARGET_REDRAW_MS:g}" if targets else "",
                big["redraw_median_ms"] <= TARGET_REDRAW_MS if targets else None,
            ),
            Figure(name, f"{label}: redraw (worst of 30)", big["redraw_worst_ms"], "ms"),
            Figure(
                name,
                f"{label}: redraw / empty",
                big["redraw_median_ms"] / max(empty["redraw_median_ms"], 1e-3),
                "×",
            ),
        ]
    return figures

"""Preview of big datasets in the Datasets pane: first page, a jump, memory.

Two stored datasets, made in a separate process so their making does not
count against memory: the 1,000,000-row CSV of the import benchmark, imported
the way a drop imports it, and a generated 10,000,000-row Parquet dataset.
Then a fresh process runs the real pane (offscreen) and measures, for each:

* first page: from choosing the dataset in the list to the first paint of the
  preview with its rows in it;
* jump: from typing a row (9,000,000, or 900,000 for the 1M set) into "Go to"
  to the paint that shows it; also the slowest of jumps to five other rows;
* memory: the peak resident size while previewing, above the idle pane.

The baseline, in the same process, is the time to show and paint an empty
table view. Targets: first page ≤ 0.5 s, jump ≤ 0.1 s, ≤ 300 MB above idle.
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
TARGET_FIRST_S = 0.5
TARGET_JUMP_S = 0.1
TARGET_MEMORY_MB = 300

MAKE = r"""
import sys
from pathlib import Path
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from app.datasets.store import DatasetStore
from app.db.database import Database
from app.paths import data_paths
from tests.benchmarks.bench_dataset_import import WORDS, _generate

csv_rows, parquet_rows = int(sys.argv[1]), int(sys.argv[2])
work = Path(sys.argv[3])
paths = data_paths().ensure()
store = DatasetStore(Database(paths.database), paths.datasets)
source = work / "reviews.csv"
_generate(source, csv_rows)
store.import_path(source, "csv-1m")

rng = np.random.default_rng(3)
pool = pa.array([" ".join(rng.choice(WORDS, int(rng.integers(8, 16)))) for _ in range(20_000)])
table = pa.table({
    "id": pa.array(np.arange(parquet_rows)),
    "text": pool.take(pa.array(rng.integers(0, len(pool), parquet_rows))),
    "label": pa.array(["pos", "neg", "neutral"]).take(pa.array(rng.integers(0, 3, parquet_rows))),
    "score": pa.array(rng.random(parquet_rows)),
})
big = work / "big.parquet"
pq.write_table(table, big, row_group_size=1_000_000)  # the store rewrites it in its own groups
del table
store.import_path(big, "parquet-10m")
"""

MEASURE = r"""
import json, os, sys, threading, time
import psutil
from PySide6.QtCore import QEvent, QObject, QElapsedTimer
from PySide6.QtWidgets import QTableView
from app.core import AppCore
from app.paths import data_paths
from views.application import ensure_application
from views.theme import ThemeController

app = ensure_application()
core = AppCore(data_paths())
ThemeController(app, core.settings)
core.open_database()
process = psutil.Process()

class Painted(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False

def settle(ms=300):
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)

def until(condition, limit=30.0):
    start = time.perf_counter()
    while not condition():
        app.processEvents()
        if time.perf_counter() - start > limit:
            raise SystemExit("timed out")
    return time.perf_counter() - start

# Baseline: an empty table view shown and painted.
baselines = []
for _ in range(5):
    view = QTableView()
    view.resize(900, 500)
    painted = Painted()
    start = time.perf_counter()
    view.show()
    view.viewport().installEventFilter(painted)
    until(lambda: painted.count > 0)
    baselines.append(time.perf_counter() - start)
    view.close()
    view.deleteLater()
    settle(50)

from views.datasets.pane import DatasetsPane
pane = DatasetsPane(core)
pane.resize(1200, 800)
pane.show()
until(lambda: pane.datasets.rowCount() == 2)
settle(500)
idle_rss = process.memory_info().rss

peak = [idle_rss]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.005)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()

painted = Painted()
viewport = pane.preview.view.viewport()
viewport.installEventFilter(painted)
model = pane.preview.model

def shown(row):
    # The paint after the rows for `row` arrived counts, not a paint of "…".
    return model.loaded and model.offset == row

def timed_paint(action, row):
    before = painted.count
    start = time.perf_counter()
    action()
    until(lambda: shown(row))
    mark = painted.count
    until(lambda: painted.count > max(mark, before))
    return time.perf_counter() - start

results = {"baseline": sorted(baselines)[len(baselines) // 2], "datasets": {}}
for name, jump in (("csv-1m", 900_000), ("parquet-10m", 9_000_000)):
    row = pane.datasets.find(name)
    first = timed_paint(lambda: pane._select_row(row), 0)
    settle(200)
    jump_time = timed_paint(lambda: pane.preview.go_to.setValue(jump + 1), jump)
    others = []
    for target in (jump // 9, jump // 3, jump // 2, jump - 70_000, 17):
        settle(30)
        others.append(timed_paint(lambda t=target: pane.preview.go_to.setValue(t + 1), target))
    assert model.value(0, 0) == 17, model.value(0, 0)  # the id column: the right row is shown
    results["datasets"][name] = {
        "rows": model.total_rows, "jump_row": jump, "first": first,
        "jump": jump_time, "worst_jump": max(others),
    }
    settle(200)
stop.set()
sampler.join()
results["idle_mb"] = idle_rss / 1e6
results["peak_above_idle_mb"] = (peak[0] - idle_rss) / 1e6
print(json.dumps(results))
core.shutdown()
"""


def run(*, quick: bool = False) -> list[Figure]:
    csv_rows, parquet_rows = (200_000, 2_000_000) if quick else (1_000_000, 10_000_000)
    name = "dataset_preview"
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as folder:
        home, work = Path(folder) / "home", Path(folder) / "work"
        work.mkdir()
        env = {**os.environ, "SPARKTRAINER_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
        subprocess.run(
            [sys.executable, "-c", MAKE, str(csv_rows), str(parquet_rows), str(work)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        for leftover in work.iterdir():
            leftover.unlink()  # the sources are not part of what the app previews
        measure = MEASURE
        if quick:
            measure = measure.replace("900_000", "180_000").replace("9_000_000", "1_800_000")
        output = subprocess.run(
            [sys.executable, "-c", measure],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    baseline = result["baseline"]
    figures = [Figure(name, "empty table shown and painted (baseline)", baseline * 1000, "ms")]
    for label, data in result["datasets"].items():
        rows = f"{label} ({data['rows']:,} rows)"
        figures += [
            Figure(
                name,
                f"{rows}: first page",
                data["first"],
                "s",
                f"≤ {TARGET_FIRST_S}",
                data["first"] <= TARGET_FIRST_S,
            ),
            Figure(name, f"{rows}: first page / baseline", data["first"] / baseline, "×"),
            Figure(
                name,
                f"{rows}: jump to row {data['jump_row']:,}",
                data["jump"],
                "s",
                f"≤ {TARGET_JUMP_S}",
                data["jump"] <= TARGET_JUMP_S,
            ),
            Figure(
                name,
                f"{rows}: slowest of five more jumps",
                data["worst_jump"],
                "s",
                f"≤ {TARGET_JUMP_S}",
                data["worst_jump"] <= TARGET_JUMP_S,
            ),
            Figure(name, f"{rows}: jump / baseline", data["jump"] / baseline, "×"),
        ]
    figures += [
        Figure(name, "idle pane resident memory", result["idle_mb"], "MB"),
        Figure(
            name,
            "peak while previewing, above idle",
            result["peak_above_idle_mb"],
            "MB",
            f"≤ {TARGET_MEMORY_MB}",
            result["peak_above_idle_mb"] <= TARGET_MEMORY_MB,
        ),
    ]
    return figures

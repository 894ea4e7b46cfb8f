"""Labeling at 100,000 text samples: from a label key press to the next sample painted,
against repainting the same sample in the same run (target ≤ 30 ms at the 95th
percentile), with 90,000 samples labeled already so counting cannot hide; and the time
from opening the project to its first sample painted.

Runs in a process of its own, on a generated dataset in a throw-away data folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.common import Figure, p95

ROOT = Path(__file__).resolve().parents[2]
TARGET_P95_MS = 30.0
TARGET_OPEN_S = 1.0

MEASURE = r"""
import csv, json, sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from app.core import AppCore
from app.labeling.store import Label
from app.paths import data_paths
from views.application import ensure_application
from views.theme import ThemeController

rows, presses, work = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
app = ensure_application()
core = AppCore(data_paths())
ThemeController(app, core.settings)
core.open_database()
source = work / "texts.csv"
with source.open("w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["text"])
    for i in range(rows):
        writer.writerow([f"Sample {i}: the parcel came on day {i % 31} and the box was fine."])
core.datasets.import_path(source, "texts")
labeling = core.labeling
project = labeling.create("bench", "texts", ["bad", "good"])
done = int(rows * 0.9)
labeling.put(project, [Label(i, ["good" if i % 2 else "bad"], False) for i in range(done)])
labeling.set_position(project, done)

class Painted(QObject):
    count = 0
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False

def until(condition, limit=60.0):
    start = time.perf_counter()
    while not condition():
        app.processEvents()
        if time.perf_counter() - start > limit:
            raise SystemExit("timed out")

from views.labeling.pane import LabelingPane
began = time.perf_counter()
pane = LabelingPane(core)
pane.resize(1100, 700)
pane.show()
painted = Painted()
until(lambda: pane.session is not None)
view = pane.view
view.text.viewport().installEventFilter(painted)
texts = labeling.values(project, done, presses + 1)
until(lambda: view.text.toPlainText() == texts[0] and painted.count > 0)
opened = time.perf_counter() - began
view.setFocus()

def timed(action, expected):
    before = painted.count
    start = time.perf_counter()
    action()
    until(lambda: view.text.toPlainText() == expected and painted.count > before)
    return time.perf_counter() - start

press, repaint = [], []
for i in range(presses):
    # Baseline: the same sample painted again (its text set anew).
    repaint.append(timed(lambda: (view.text.setPlainText(""), view.refresh()), texts[i]))
    press.append(timed(lambda: QTest.keyClick(view, Qt.Key.Key_1), texts[i + 1]))
pane.session.flush()
stored = len(labeling.labels(project))
assert stored == done + presses, stored
print(json.dumps({"open": opened, "press": press, "repaint": repaint, "labels": stored}))
core.shutdown()
"""


def run(*, quick: bool = False) -> list[Figure]:
    rows, presses = (100_000, 60) if quick else (100_000, 300)
    name = "labeling"
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as folder:
        home, work = Path(folder) / "home", Path(folder) / "work"
        work.mkdir()
        env = {**os.environ, "SPARKTRAINER_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
        output = subprocess.run(
            [sys.executable, "-c", MEASURE, str(rows), str(presses), str(work)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    press_p95, repaint_p95 = p95(result["press"]) * 1000, p95(result["repaint"]) * 1000
    return [
        Figure(name, f"open a {rows:,}-sample project: first sample", result["open"], "s",
               f"≤ {TARGET_OPEN_S}", result["open"] <= TARGET_OPEN_S),
        Figure(name, "repaint the same sample (baseline, p95)", repaint_p95, "ms"),
        Figure(name, "label key → next sample painted (p95)", press_p95, "ms",
               f"≤ {TARGET_P95_MS}", press_p95 <= TARGET_P95_MS),
        Figure(name, "key → next sample / repaint (p95)", press_p95 / max(repaint_p95, 1e-6), "×"),
        Figure(name, "labels stored (90% labeled before)", result["labels"], ""),
    ]  # fmt: skip

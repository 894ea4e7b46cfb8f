"""Cold start: time to the first painted frame of `main.py` against PySide6 alone.

Both run as fresh processes, interleaved, and measure the same way: from the
process's creation time (as the OS recorded it) to the end of the first paint
event of their top-level window. Target: ratio ≤ 1.5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.common import Figure, median

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 1.5

BASELINE = r"""
import time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget
import psutil

class Watcher(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, done)
        return False

def done():
    elapsed = (time.time() - psutil.Process().create_time()) * 1000
    print(f"first frame: {elapsed:.0f} ms after process start", flush=True)
    app.exit(0)

app = QApplication([])
widget = QWidget()
widget.resize(1280, 800)
watcher = Watcher()
widget.installEventFilter(watcher)
widget.show()
app.exec()
"""


def _first_frame_ms(command: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as home:
        env = {**os.environ, "SPARKTRAINER_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
        )
    line = next(x for x in result.stdout.splitlines() if x.startswith("first frame:"))
    return float(line.split()[2])


def run(quick: bool = False) -> list[Figure]:
    rounds = 3 if quick else 9
    app_ms, qt_ms = [], []
    _first_frame_ms([sys.executable, "main.py", "--smoke-test"])  # warm the disk cache
    for _ in range(rounds):
        qt_ms.append(_first_frame_ms([sys.executable, "-c", BASELINE]))
        app_ms.append(_first_frame_ms([sys.executable, "main.py", "--smoke-test"]))
    ratio = median(app_ms) / median(qt_ms)
    name = "cold_start"
    return [
        Figure(name, "empty QWidget, PySide6 alone (median)", median(qt_ms), "ms"),
        Figure(name, "main.py first frame (median)", median(app_ms), "ms"),
        Figure(
            name, "ratio main.py / PySide6", ratio, "×", f"≤ {TARGET_RATIO}", ratio <= TARGET_RATIO
        ),
    ]

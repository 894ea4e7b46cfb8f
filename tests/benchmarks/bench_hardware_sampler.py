"""CPU cost of the hardware sampler at 1 Hz against the idle app, in the same run.

Two fresh processes, each a QCoreApplication with the app's core for the same
wall time: one idle, one with the sampler running (NVML, psutil, engine scan,
history). The figure is the extra CPU time per second of wall time, as a
percentage of one core. Target: ≤ 2 %.
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
TARGET_PERCENT = 2.0

CHILD = r"""
import json, os, sys, time
from PySide6.QtCore import QCoreApplication, QTimer
from app.core import AppCore
from app.paths import data_paths
app = QCoreApplication([])
core = AppCore(data_paths())
seconds, sampling = float(sys.argv[1]), sys.argv[2] == "sampling"
samples = []
if sampling:
    core.hardware.sampled.connect(samples.append)
    core.start_hardware()
QTimer.singleShot(0, lambda: None)
time.sleep(0.5)
app.processEvents()
start_cpu, start_wall = time.process_time(), time.monotonic()
QTimer.singleShot(int(seconds * 1000), app.quit)
app.exec()
cpu, wall = time.process_time() - start_cpu, time.monotonic() - start_wall
core.shutdown()
print(json.dumps({"cpu": cpu, "wall": wall, "samples": len(samples)}))
"""


def _measure(seconds: float, mode: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as home:
        env = {
            **os.environ,
            "SPARKTRAINER_HOME": home,
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": str(ROOT),
        }
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(seconds), mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Figure]:
    seconds = 15.0 if quick else 60.0
    idle = _measure(seconds, "idle")
    sampling = _measure(seconds, "sampling")
    idle_percent = 100 * idle["cpu"] / idle["wall"]
    sampling_percent = 100 * sampling["cpu"] / sampling["wall"]
    extra = sampling_percent - idle_percent
    name = "hardware_sampler"
    return [
        Figure(name, f"idle app, CPU over {seconds:.0f} s", idle_percent, "% of a core"),
        Figure(
            name,
            f"app sampling at 1 Hz ({sampling['samples']} samples)",
            sampling_percent,
            "% of a core",
        ),
        Figure(
            name,
            "sampler cost",
            extra,
            "% of a core",
            f"≤ {TARGET_PERCENT}",
            extra <= TARGET_PERCENT,
        ),
    ]

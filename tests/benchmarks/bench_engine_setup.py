"""Engine setup at scale: start to the first metric, and peak memory, for a million rows
of short text against ten thousand in the same run.

Ten thousand rows are tokenised during setup; a million (past EAGER_ROWS) are read,
split and checked, then tokenised batch by batch as they train. Targets: setup grows
sublinearly with the rows (time ratio well under the 100× rows ratio) and the engine
stays under 2 GiB. Each run is a fresh engine process (tiny-gpt2 preset, 2 steps)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import Figure, median
from tests.engine.helpers import PEAK_RSS_BOUND, run_measured

SMALL, LARGE = 10_000, 1_000_000


def _data(folder: Path, rows: int) -> Path:
    path = folder / f"rows-{rows}.jsonl"
    with path.open("w") as handle:
        for i in range(rows):
            handle.write(json.dumps({"text": f"row {i} says hello to row {i + 1}"}) + "\n")
    return path


def _first_metric(folder: Path, data: Path, name: str) -> tuple[float, int]:
    spec = {
        "job_id": name,
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "text_column": "text", "validation_split": 0.0},
        "output_dir": str(folder / name / "output"),
        "hyperparameters": {"max_steps": 2, "batch_size": 8, "log_every": 1, "seed": 7},
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(spec))
    started = time.time()
    code, events, _first_progress, peak = run_measured(path)
    if code != 0:
        raise RuntimeError(f"the engine failed: {events[-1] if events else 'no events'}")
    metric = next(e for e in events if e["event"] == "metric")
    return metric["time"] - started, peak


def run(quick: bool = False) -> list[Figure]:
    rounds = 1 if quick else 3
    small_s, large_s, small_rss, large_rss = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as name:
        folder = Path(name)
        small, large = _data(folder, SMALL), _data(folder, LARGE)
        for number in range(rounds):
            seconds, peak = _first_metric(folder, small, f"small-{number}")
            small_s.append(seconds)
            small_rss.append(peak)
            seconds, peak = _first_metric(folder, large, f"large-{number}")
            large_s.append(seconds)
            large_rss.append(peak)
    ratio = median([b / a for a, b in zip(small_s, large_s, strict=True)])
    largest = max(large_rss) / 2**20
    bench = "engine_setup"
    return [
        Figure(bench, f"{SMALL:,} rows: start to first metric (median)", median(small_s), "s"),
        Figure(bench, f"{LARGE:,} rows: start to first metric (median)", median(large_s), "s"),
        Figure(
            bench,
            f"setup time {LARGE:,} / {SMALL:,} rows (100× the rows)",
            ratio,
            "×",
            "< 10 (sublinear)",
            ratio < 10,
        ),
        Figure(bench, f"{SMALL:,} rows: engine peak RSS", max(small_rss) / 2**20, "MiB"),
        Figure(
            bench,
            f"{LARGE:,} rows: engine peak RSS",
            largest,
            "MiB",
            f"< {PEAK_RSS_BOUND // 2**20:,}",
            largest < PEAK_RSS_BOUND / 2**20,
        ),
    ]

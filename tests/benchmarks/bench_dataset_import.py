"""Import of a generated 1,000,000-row CSV (~200 MB) against plain pyarrow, in the same run.

Baseline: `pyarrow.csv.read_csv` + `pyarrow.parquet.write_table` of the same
file. The import does that and more (encoding check, delimiter sniffing,
statistics, SHA-256, atomic rename, database row). Target ratio ≥ 0.8.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import Figure, median

ROWS = 1_000_000
TARGET = 0.8
WORDS = [
    "the",
    "a",
    "model",
    "data",
    "train",
    "loss",
    "good",
    "bad",
    "fast",
    "slow",
    "token",
    "batch",
    "layer",
    "great",
    "poor",
]


def _generate(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        out.write("id,text,label,score\n")
        for index in range(rows):
            text = " ".join(rng.choices(WORDS, k=rng.randint(20, 40)))
            out.write(
                f'{index},"{text}",{rng.choice(("pos", "neg", "neutral"))},{rng.random():.6f}\n'
            )


def _baseline(source: Path, target: Path) -> float:
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    pq.write_table(csv.read_csv(source), target)
    return time.perf_counter() - start


def _import(source: Path, home: Path) -> float:
    from app.datasets.store import DatasetStore
    from app.db.database import Database

    home.mkdir()
    store = DatasetStore(Database(home / "db.sqlite"), home / "datasets")
    start = time.perf_counter()
    store.import_path(source)
    return time.perf_counter() - start


def run(*, quick: bool = False) -> list[Figure]:
    rows = ROWS // 5 if quick else ROWS
    rounds = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as folder:
        root = Path(folder)
        source = root / "big.csv"
        _generate(source, rows)
        size = source.stat().st_size
        # One untimed round of each: imports, kernel set-up and the page cache warm for both.
        _baseline(source, root / "warm.parquet")
        _import(source, root / "home-warm")
        baseline, ours = [], []
        for attempt in range(rounds):  # interleaved, so drift hits both alike
            baseline.append(_baseline(source, root / f"plain-{attempt}.parquet"))
            ours.append(_import(source, root / f"home-{attempt}"))
    ratio = median(baseline) / median(ours)
    name = "dataset_import"
    return [
        Figure(name, f"CSV size ({rows:,} rows)", size / 1024**2, "MiB"),
        Figure(name, "pyarrow read_csv + write_table", size / 1024**2 / median(baseline), "MiB/s"),
        Figure(name, "SparkTrainer import", size / 1024**2 / median(ours), "MiB/s"),
        Figure(
            name, "throughput ratio (import / pyarrow)", ratio, "×", f"≥ {TARGET}", ratio >= TARGET
        ),
    ]

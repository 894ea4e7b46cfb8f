"""Image recipe throughput: images/s with DataLoader workers decoding and augmenting
against decoding inline on the training thread, same run, same data.

A Builder CNN on 64×64 inputs from 1024×768 JPEGs (so decoding, not the network, is the
work a GPU would wait on), 40 steps of 16 after 8 of warm-up, each run a fresh engine.
Reported: images/s both ways and their ratio (workers / inline); the gain grows with
the cores a machine can spare (one worker here on two cores)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.common import Figure, median

ROOT = Path(__file__).resolve().parents[2]
STEPS, WARMUP, BATCH = 40, 8, 16
NETWORK = {
    "input": {"kind": "image", "channels": 3, "height": 64, "width": 64},
    "layers": [
        {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
    ],
}


def _images(root: Path, per_class: int) -> Path:
    from PIL import Image

    rng = random.Random(0)
    for label, colour in (("red", (220, 40, 40)), ("blue", (40, 40, 220))):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            image = Image.effect_noise((1024, 768), 40).convert("RGB")
            tint = Image.new("RGB", image.size, tuple(c + rng.randint(-20, 20) for c in colour))
            Image.blend(image, tint, 0.6).save(root / label / f"{i}.jpg", quality=90)
    return root


def _images_per_second(folder: Path, data: Path, name: str, workers: int) -> float:
    spec = {
        "job_id": name,
        "recipe": "custom_architecture",
        "model": {"source": "architecture", "definition": NETWORK},
        "dataset": {"path": str(data), "validation_split": 0.0, "augment": True},
        "output_dir": str(folder / name / "output"),
        "hyperparameters": {
            "max_steps": STEPS, "batch_size": BATCH, "log_every": 1, "seed": 7,
            "data_workers": workers, "learning_rate": 1e-3,
        },
    }  # fmt: skip
    path = folder / f"{name}.json"
    path.write_text(json.dumps(spec))
    result = subprocess.run(
        [sys.executable, "main.py", "engine", "run", str(path)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"the engine failed: {result.stderr[-2000:]}")
    metrics = [json.loads(line) for line in result.stdout.splitlines() if '"metric"' in line]
    start = next(m for m in metrics if m["step"] == WARMUP)["time"]
    return (STEPS - WARMUP) * BATCH / (metrics[-1]["time"] - start)


def run(quick: bool = False) -> list[Figure]:
    rounds = 1 if quick else 3
    workers = max(1, min(4, (os.cpu_count() or 2) - 1))
    inline, forked = [], []
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as name:
        folder = Path(name)
        data = _images(folder / "images", 64)
        for number in range(rounds):
            inline.append(_images_per_second(folder, data, f"inline-{number}", 0))
            forked.append(_images_per_second(folder, data, f"workers-{number}", workers))
    ratio = median([f / i for i, f in zip(inline, forked, strict=True)])
    bench = "engine_images"
    return [
        Figure(bench, "decoded inline on the training thread (median)", median(inline), "img/s"),
        Figure(bench, f"{workers} DataLoader worker(s) (median)", median(forked), "img/s"),
        Figure(bench, "workers / inline", ratio, "×", "> 1", ratio > 1),
    ]

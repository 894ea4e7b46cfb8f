"""Engine throughput against a plain PyTorch loop, and its start-up time.

Both train the tiny-gpt2 preset on the same data (sequences of 128 tokens,
batch 16, AdamW, linear schedule, clipping at 1.0, fp32 on the CPU) for the
same steps, each in a fresh process, interleaved; the first steps are warm-up
and not counted. Target: engine tokens/s ÷ plain-loop tokens/s ≥ 0.97.
Start-up: process start to the first `metric` event, against
`python -c "import torch, transformers"`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import Figure, median

ROOT = Path(__file__).resolve().parents[2]
SEQUENCE, BATCH, WARMUP_STEPS, LOG_EVERY = 128, 16, 10, 10
TARGET = 0.97

PLAIN_LOOP = r"""
import json, sys, time, torch
from engine import presets
from engine.runtime import seed_everything
texts = json.load(open(sys.argv[1])); steps = int(sys.argv[2]); warmup = int(sys.argv[3])
seed_everything(7)
tokenizer = presets.byte_tokenizer()
model = presets.causal_lm("tiny-gpt2", tokenizer)
model.train()
ids = torch.tensor([tokenizer(t).input_ids for t in texts])          # all 128 long
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / steps)
generator = torch.Generator().manual_seed(7)
order = torch.randperm(len(ids), generator=generator)
position, start = 0, None
for step in range(steps):
    if step == warmup:
        start = time.perf_counter()
    if position + 16 > len(ids):
        order, position = torch.randperm(len(ids), generator=generator), 0
    batch = ids[order[position:position + 16]]; position += 16
    loss = model(input_ids=batch, attention_mask=torch.ones_like(batch), labels=batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step(); scheduler.step(); optimizer.zero_grad(set_to_none=True)
    if (step + 1) % 10 == 0:
        loss.item()
elapsed = time.perf_counter() - start
print(json.dumps({"tokens_per_second": (steps - warmup) * 16 * 128 / elapsed}))
"""


def _texts() -> list[str]:
    # 127 bytes + the end-of-sequence token = 128 tokens with the byte tokenizer.
    alphabet = "the quick brown fox jumps over a lazy dog while sparks fly "
    return [(alphabet * 4)[i % 50 : i % 50 + 127] for i in range(512)]


def _engine_tokens_per_second(work: Path, data: Path, steps: int) -> tuple[float, float]:
    """Tokens/s after warm-up, and seconds from process start to the first metric."""
    name = f"run-{time.monotonic_ns()}"
    spec = {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "validation_split": 0.0},
        "output_dir": str(work / name / "output"),
        "hyperparameters": {
            "max_steps": steps,
            "batch_size": BATCH,
            "learning_rate": 1e-3,
            "max_seq_length": SEQUENCE,
            "log_every": LOG_EVERY,
            "seed": 7,
            "precision": "fp32",
        },
    }
    spec_path = work / f"{name}.json"
    spec_path.write_text(json.dumps(spec))
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "main.py", "engine", "run", str(spec_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    first_metric, metrics = None, []
    assert process.stdout is not None
    for line in process.stdout:
        event = json.loads(line)
        if event["event"] == "metric":
            first_metric = first_metric or time.time() - started
            metrics.append(event)
    if process.wait() != 0:
        raise RuntimeError(f"the engine failed; see {work / name / 'engine.log'}")
    counted = [m for m in metrics if m["step"] > WARMUP_STEPS]
    start = next(m for m in metrics if m["step"] == WARMUP_STEPS)["time"]
    tokens = (counted[-1]["step"] - WARMUP_STEPS) * BATCH * SEQUENCE
    return tokens / (counted[-1]["time"] - start), first_metric or 0.0


def _plain_tokens_per_second(data_texts: Path, steps: int) -> float:
    result = subprocess.run(
        [sys.executable, "-c", PLAIN_LOOP, str(data_texts), str(steps), str(WARMUP_STEPS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])["tokens_per_second"]


def _import_seconds() -> float:
    started = time.time()
    subprocess.run(
        [sys.executable, "-c", "import torch, transformers"], check=True, capture_output=True
    )
    return time.time() - started


def run(quick: bool = False) -> list[Figure]:
    rounds, steps = (2, 40) if quick else (5, 120)
    engine, plain, first_metric, imports = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="sparktrainer-bench-") as folder:
        work = Path(folder)
        texts = _texts()
        data = work / "data.jsonl"
        data.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
        plain_texts = work / "texts.json"
        plain_texts.write_text(json.dumps(texts))
        for round_number in range(rounds):
            # Alternate which goes first, so a drift within a round favours neither.
            if round_number % 2:
                plain.append(_plain_tokens_per_second(plain_texts, steps))
            tokens_per_second, to_metric = _engine_tokens_per_second(work, data, steps)
            engine.append(tokens_per_second)
            first_metric.append(to_metric)
            if not round_number % 2:
                plain.append(_plain_tokens_per_second(plain_texts, steps))
            imports.append(_import_seconds())
    # Each round's two runs sit side by side in time, so their ratio cancels most drift.
    ratio = median([e / p for e, p in zip(engine, plain, strict=True)])
    name = "engine"
    return [
        Figure(
            name,
            "plain PyTorch loop, tiny-gpt2 seq 128 batch 16 (median)",
            median(plain),
            "tokens/s",
        ),
        Figure(name, "engine, same model, data and settings (median)", median(engine), "tokens/s"),
        Figure(
            name,
            "throughput ratio engine / plain loop (median of rounds)",
            ratio,
            "×",
            f"≥ {TARGET}",
            ratio >= TARGET,
        ),
        Figure(name, "python -c 'import torch, transformers' (median)", median(imports), "s"),
        Figure(name, "engine start to first metric (median)", median(first_metric), "s"),
        Figure(name, "first-metric / import ratio", median(first_metric) / median(imports), "×"),
    ]

"""Running the real engine in a subprocess on tiny presets and generated data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine.protocol import EVENT_FIELDS, parse_event
from tests.conftest import ROOT


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def classification_rows(count: int = 64) -> list[dict[str, Any]]:
    """Learnable: the label is spelled out in the text."""
    words = {"pos": "sunny bright happy", "neg": "rainy dark gloomy"}
    return [
        {"text": f"{words['pos' if i % 2 else 'neg']} {i}", "label": "pos" if i % 2 else "neg"}
        for i in range(count)
    ]


def sft_rows(count: int = 64) -> list[dict[str, Any]]:
    words = ["alpha", "bravo", "delta", "kilo"]
    return [
        {"prompt": f"Repeat {words[i % 4]}", "response": words[i % 4] * 2} for i in range(count)
    ]


def tiny_sft_spec(folder: Path) -> dict[str, Any]:
    """A 12-step SFT job on tiny-gpt2 with checkpoints at 6 and 12 (about 15 s on 2
    cores): the job the job-manager tests run, its data written into `folder`."""
    data = write_jsonl(folder / "d.jsonl", sft_rows(32))
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {"max_steps": 12, "batch_size": 8, "checkpoint_every": 6},
    }


def make_spec(
    tmp: Path,
    recipe: str,
    data: Path,
    *,
    model: str,
    method: str = "full",
    name: str = "run",
    **hyper: Any,
) -> dict[str, Any]:
    hyperparameters = {
        "max_steps": 30,
        "batch_size": 8,
        "learning_rate": 3e-3,
        "log_every": 1,
        "seed": 7,
        **hyper,
    }
    dataset: dict[str, Any] = {"path": str(data)}
    if recipe == "causal_lm_sft":
        dataset.update(prompt_column="prompt", response_column="response")
    return {
        "job_id": name,
        "recipe": recipe,
        "model": {"source": "preset", "name": model},
        "dataset": dataset,
        "method": method,
        "output_dir": str(tmp / name / "output"),
        "hyperparameters": hyperparameters,
    }


def spec_file(tmp: Path, spec: dict[str, Any]) -> Path:
    run_dir = Path(spec["output_dir"]).parent
    run_dir.mkdir(parents=True, exist_ok=True)
    path = tmp / f"{spec.get('job_id') or 'spec'}.json"
    path.write_text(json.dumps(spec))
    return path


def engine_command(spec: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "main.py"), "engine", "run", str(spec), *extra]


def run_engine(
    spec: Path, *extra: str, env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, list[dict[str, Any]], str]:
    """Exit code, every stdout line parsed as an event (a non-event line fails), stderr."""
    result = subprocess.run(
        engine_command(spec, *extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return result.returncode, parse_all(result.stdout), result.stderr


def parse_all(stdout: str) -> list[dict[str, Any]]:
    events = []
    for line in stdout.splitlines():
        event = parse_event(line)  # raises on anything that is not an event
        missing = [f for f in EVENT_FIELDS[event["event"]] if f not in event]
        assert not missing, f"{event['event']} lacks {missing}"
        events.append(event)
    return events


def losses(events: list[dict[str, Any]]) -> dict[int, float]:
    """Step → loss; a step recomputed after a resume keeps its latest value."""
    return {e["step"]: e["values"]["loss"] for e in events if e["event"] == "metric"}


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "events.jsonl"
    return [parse_event(line) for line in path.read_text().splitlines()] if path.exists() else []


def start_engine(spec: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        engine_command(spec, *extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_for(predicate, timeout: float = 120, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


def send(run_dir: Path, command: str) -> None:
    from engine.protocol import command_line

    with (run_dir / "control.jsonl").open("a") as handle:
        handle.write(command_line(command))


def image_folder(root: Path, per_class: int = 16) -> Path:
    """Two colour classes with noise: learnable, made here, no third-party data."""
    import random

    from PIL import Image

    rng = random.Random(0)
    for label, colour in (("red", (220, 40, 40)), ("blue", (40, 40, 220))):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixel = tuple(max(0, min(255, c + rng.randint(-40, 40))) for c in colour)
            Image.new("RGB", (40 + i % 3, 36), pixel).save(root / label / f"{i}.png")
    return root


def tabular_rows(count: int = 160) -> list[dict[str, Any]]:
    """Inside or outside a circle; x1 on a much larger scale, which standardisation fixes."""
    import random

    rng = random.Random(1)
    rows = []
    for _ in range(count):
        x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1)
        rows.append({"x1": x1 * 100, "x2": x2, "label": "in" if x1 * x1 + x2 * x2 < 0.5 else "out"})
    return rows


MLP = {
    "input": {"kind": "tabular", "features": ["x1", "x2"]},
    "layers": [
        {"type": "Linear", "out_features": 32},
        {"type": "ReLU"},
        {"type": "Linear", "out_features": 32},
        {"type": "ReLU"},
    ],
}
CNN = {
    "input": {"kind": "image", "channels": 3, "height": 16, "width": 16},
    "layers": [
        {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 16},
        {"type": "ReLU"},
    ],
}


def printed_logits(script: str, *args: str, cwd: Path = ROOT) -> list[float]:
    """Run `script` in a fresh Python and read the JSON list it prints last."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PEAK_RSS_BOUND = 2 << 30
"""The engine's peak resident memory on a million rows of short text (issue target)."""


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_measured(spec: Path) -> tuple[int, list[dict], float, int]:
    """(exit code, events, seconds to the first progress event, peak RSS in bytes)."""
    began = time.monotonic()
    process = subprocess.Popen(
        engine_command(spec), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    first_progress, peak, lines = None, 0, []
    assert process.stdout is not None
    for line in process.stdout:  # one event a line, as it comes
        lines.append(line)
        peak = max(peak, _peak_rss(process.pid))
        if first_progress is None and '"progress"' in line:
            first_progress = time.monotonic() - began
    process.wait(timeout=600)
    return process.returncode, parse_all("".join(lines)), first_progress or -1.0, peak


def set_up_inline(run_dir: Path, spec: dict[str, Any]) -> Any:
    """The engine's own set-up, in this process, to look at what it builds."""
    from engine.protocol import ControlReader, EventWriter
    from engine.spec import TrainingSpec
    from engine.trainer import Trainer

    parsed = TrainingSpec.from_dict({**spec, "output_dir": str(run_dir / "output")})
    trainer = Trainer(parsed, EventWriter(run_dir), ControlReader(run_dir))
    trainer.setup()
    return trainer

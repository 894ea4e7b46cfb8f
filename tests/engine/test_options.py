"""Engine options: local model folders, gradient checkpointing, keep-last-K checkpoints,
schedules, and a GUI that goes away mid-run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.engine.helpers import (
    engine_command,
    losses,
    make_spec,
    read_events,
    run_engine,
    set_up_inline,
    sft_rows,
    spec_file,
    wait_for,
    write_jsonl,
)

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


def _data(tmp: Path) -> Path:
    return write_jsonl(tmp / "d.jsonl", sft_rows(32))


def test_a_trained_output_folder_is_a_local_model_for_the_next_job(tmp_path: Path) -> None:
    data = _data(tmp_path)
    first = make_spec(
        tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_steps=20, name="first"
    )
    code, events, stderr = run_engine(spec_file(tmp_path, first))
    assert code == 0, stderr
    first_loss = list(losses(events).values())[-1]

    second = make_spec(
        tmp_path, "causal_lm_sft", data, model="unused", max_steps=3, name="second", method="lora"
    )
    second["model"] = {"source": "local", "path": first["output_dir"]}
    code, events, stderr = run_engine(spec_file(tmp_path, second))
    assert code == 0, stderr
    # It starts from the trained weights, not from scratch.
    assert next(iter(losses(events).values())) < first_loss * 1.5
    config = json.loads((Path(second["output_dir"]) / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == first["output_dir"]


@pytest.mark.parametrize("method", ["full", "lora"])
def test_gradient_checkpointing(tmp_path: Path, method: str) -> None:
    spec = make_spec(
        tmp_path,
        "causal_lm_sft",
        _data(tmp_path),
        model="tiny-gpt2",
        method=method,
        max_steps=3,
        gradient_checkpointing=True,
    )
    code, _, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    # The flag took effect on the model the engine trains (the base model under LoRA),
    # and only when asked for.
    for wanted in (True, False):
        spec["hyperparameters"]["gradient_checkpointing"] = wanted
        trainer = set_up_inline(tmp_path / f"inline-{wanted}", spec)
        model = trainer.model.get_base_model() if method == "lora" else trainer.model
        flag = (
            "is_activation_checkpointing"
            if hasattr(type(model), "is_activation_checkpointing")
            else "is_gradient_checkpointing"  # transformers before 5
        )
        assert getattr(model, flag) is wanted
        assert model.transformer.gradient_checkpointing is wanted


def test_only_the_newest_checkpoints_are_kept(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        "causal_lm_sft",
        _data(tmp_path),
        model="tiny-gpt2",
        max_steps=10,
        checkpoint_every=2,
        keep_checkpoints=2,
    )
    code, _, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert kept == ["checkpoint-10", "checkpoint-8"]


@pytest.mark.parametrize("scheduler", ["linear", "cosine", "constant"])
def test_schedules_with_warmup(tmp_path: Path, scheduler: str) -> None:
    spec = make_spec(
        tmp_path,
        "causal_lm_sft",
        _data(tmp_path),
        model="tiny-gpt2",
        max_steps=10,
        learning_rate=1e-3,
        warmup_ratio=0.2,
        scheduler=scheduler,
    )
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    rates = [e["values"]["learning_rate"] for e in events if e["event"] == "metric"]
    assert rates[0] == pytest.approx(1e-3)  # warm-up: 0.5e-3 at step 0, 1e-3 after step 1
    assert rates[1] == pytest.approx(1e-3)
    final = {"linear": 0.0, "cosine": 0.0, "constant": 1e-3}[scheduler]
    assert rates[-1] == pytest.approx(final, abs=1e-9)


def test_a_closed_stdout_does_not_stop_training(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "causal_lm_sft", _data(tmp_path), model="tiny-gpt2", max_steps=15)
    path = spec_file(tmp_path, spec)
    process = subprocess.Popen(
        engine_command(path), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    process.stdout.readline()  # its first event: the engine is up
    process.stdout.close()  # the GUI went away
    assert process.wait(timeout=300) == 0
    run_dir = tmp_path / "run"
    wait_for(lambda: read_events(run_dir)[-1]["event"] == "completed", timeout=5)
    assert max(losses(read_events(run_dir))) == 15

"""Setup you can watch and stop: `progress` events before the first step, a stop during
setup that exits 3 with nothing written, and resume errors a person caused said in a line.

Real engine subprocesses on tiny offline presets."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from engine.protocol import EXIT_FAILED, EXIT_STOPPED
from tests.engine.helpers import (
    MLP,
    classification_rows,
    make_spec,
    read_events,
    run_engine,
    send,
    spec_file,
    start_engine,
    tabular_rows,
    wait_for,
    write_jsonl,
)

# Starts engines: left out of the quick tier.
pytestmark = pytest.mark.slow


def test_setup_reports_its_phases_before_the_first_step(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(64))
    spec = make_spec(tmp_path, "text_classification", data, model="tiny-bert", max_steps=1)
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    started = next(i for i, e in enumerate(events) if e["event"] == "started")
    setup = [e for e in events[:started] if e["event"] == "progress"]
    assert events[0]["event"] == "progress" and events[0]["phase"] == "starting the engine"
    phases = list(dict.fromkeys(e["phase"] for e in setup))
    assert phases == ["starting the engine", "reading the data", "loading the model", "tokenising"]
    for phase in phases[1:]:  # each one ends, counted out of its own total
        last = [e for e in setup if e["phase"] == phase][-1]
        assert last["done"] == last["total"]
    assert [e["total"] for e in setup if e["phase"] == "tokenising"][-1] == 64
    assert all(e["event"] != "progress" for e in events[started:])


def _slow_setup(tmp_path: Path) -> tuple[dict, Path, Path]:
    """Rows tokenised in setup (under EAGER_ROWS) for seconds: a stop lands inside it."""
    rows = [{"prompt": f"Say {i}", "response": f"number {i}"} for i in range(45_000)]
    data = write_jsonl(tmp_path / "big.jsonl", rows)
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_steps=2)
    path = spec_file(tmp_path, spec)
    return spec, path, Path(spec["output_dir"]).parent


def _tokenising(run_dir: Path) -> bool:
    return any(
        e["event"] == "progress" and e["phase"] == "tokenising" and e["done"] > 0
        for e in read_events(run_dir)
    )


@pytest.mark.parametrize("how", ["control", "sigterm"])
def test_a_stop_during_setup_exits_3_with_nothing_written(tmp_path: Path, how: str) -> None:
    spec, path, run_dir = _slow_setup(tmp_path)
    process = start_engine(path)
    try:
        wait_for(lambda: _tokenising(run_dir), timeout=180)
        if how == "control":
            send(run_dir, "stop")
        else:
            os.kill(process.pid, signal.SIGTERM)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == EXIT_STOPPED
    events = read_events(run_dir)
    assert events[-1]["event"] == "stopped" and events[-1]["checkpoint"] is None
    assert all(e["event"] != "started" for e in events)
    tokenised = [e for e in events if e["event"] == "progress" and e["phase"] == "tokenising"]
    assert tokenised[-1]["done"] < tokenised[-1]["total"]  # it stopped in the middle
    assert not Path(spec["output_dir"]).exists()
    assert (
        not list((run_dir / "checkpoints").glob("*"))
        if (run_dir / "checkpoints").exists()
        else True
    )
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".tmp")]


def _checkpointed_mlp(tmp_path: Path, rows: int) -> tuple[dict, Path, Path]:
    data = write_jsonl(tmp_path / "tab.jsonl", tabular_rows(rows))
    spec = make_spec(
        tmp_path, "custom_architecture", data, model="unused", max_steps=4, checkpoint_every=2
    )
    spec["model"] = {"source": "architecture", "definition": MLP}
    code, _events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    return spec, data, Path(spec["output_dir"]).parent / "checkpoints" / "checkpoint-4"


def _resumed(tmp_path: Path, spec: dict, checkpoint: Path) -> dict:
    spec = {
        **spec,
        "job_id": "again",
        "output_dir": str(tmp_path / "again" / "output"),
        "resume_from": str(checkpoint),
    }
    code, events, _stderr = run_engine(spec_file(tmp_path, spec))
    assert code == EXIT_FAILED
    return events[-1]


def test_resuming_on_data_that_changed_size_is_a_data_failure(tmp_path: Path) -> None:
    spec, data, checkpoint = _checkpointed_mlp(tmp_path, 64)
    write_jsonl(data, tabular_rows(80))
    failed = _resumed(tmp_path, spec, checkpoint)
    assert failed["kind"] == "data"
    assert "training rows" in failed["error"] and "\n" not in failed["error"]
    assert failed["traceback"] == ""


def test_resuming_another_networks_checkpoint_is_a_config_failure(tmp_path: Path) -> None:
    spec, _data, checkpoint = _checkpointed_mlp(tmp_path, 64)
    wider = json.loads(json.dumps(MLP))
    wider["layers"][0]["out_features"] = 48
    failed = _resumed(
        tmp_path, {**spec, "model": {"source": "architecture", "definition": wider}}, checkpoint
    )
    assert failed["kind"] == "config"
    assert "another model" in failed["error"] and "\n" not in failed["error"]
    assert failed["traceback"] == ""


def test_evaluation_and_its_baseline_use_at_most_eval_max_batches(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(40))
    spec = make_spec(
        tmp_path, "text_classification", data, model="tiny-bert", max_steps=2, batch_size=4,
        eval_every=1, eval_max_batches=2,
    )  # fmt: skip
    spec["dataset"]["validation_split"] = 0.5
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    logs = [e["message"] for e in events if e["event"] == "log"]
    assert any("Evaluating on 8 of the 20 validation rows" in m for m in logs)
    started = next(e for e in events if e["event"] == "started")
    assert started["validation_rows"] == 8 and started["baseline"]["rows"] == 8
    assert len([e for e in events if e["event"] == "eval"]) == 2

    spec["hyperparameters"]["eval_max_batches"] = 0
    code, events, _ = run_engine(spec_file(tmp_path, {**spec, "job_id": "zero"}))
    assert code == 2 and events[-1]["field"] == "hyperparameters.eval_max_batches"

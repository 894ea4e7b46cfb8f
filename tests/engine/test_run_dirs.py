"""The engine never deletes or overwrites what it did not create (issue #15, item 1)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from engine.run_dirs import OUTPUT_MARKER, RUN_MARKER
from tests.engine.helpers import classification_rows, engine_command, make_spec, write_jsonl


def _run(tmp_path: Path, spec: dict, name: str = "spec.json") -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return subprocess.run(engine_command(path), capture_output=True, text=True, timeout=300)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "d.jsonl", classification_rows(32))


def test_an_output_dir_holding_the_persons_files_is_refused_and_left_alone(tmp_path, data):
    mine = tmp_path / "home" / "photos"
    (mine / "2024").mkdir(parents=True)
    (mine / "2024" / "beach.jpg").write_bytes(b"jpeg bytes")
    (mine / "notes.txt").write_text("keep me")
    before = _snapshot(mine)
    spec = make_spec(tmp_path, "text_classification", data, model="tiny-bert", max_steps=2)
    spec["output_dir"] = str(mine)
    done = _run(tmp_path, spec)
    assert done.returncode == 2, done.stderr
    failed = json.loads(done.stdout.splitlines()[-1])
    assert failed["event"] == "failed" and failed["field"] == "output_dir"
    assert "never overwritten" in failed["error"] and str(mine) in failed["error"]
    assert _snapshot(mine) == before
    assert sorted(p.name for p in mine.parent.iterdir()) == ["photos"]  # no log, no marker


def test_a_parent_folder_holding_other_files_is_refused_before_anything_is_written(tmp_path, data):
    project = tmp_path / "project"
    project.mkdir()
    (project / "thesis.tex").write_text("chapter one")
    spec = make_spec(tmp_path, "text_classification", data, model="tiny-bert", max_steps=2)
    spec["output_dir"] = str(project / "model")
    done = _run(tmp_path, spec)
    assert done.returncode == 2
    assert "not a SparkTrainer run (thesis.tex)" in done.stdout
    assert sorted(p.name for p in project.iterdir()) == ["thesis.tex"]


@pytest.mark.slow
def test_a_model_of_ours_is_replaced_only_when_the_spec_says_so(tmp_path, data):
    spec = make_spec(tmp_path, "text_classification", data, model="tiny-bert", max_steps=2)
    spec_path = Path(spec["output_dir"]).parent / "spec.json"  # the person's spec, in the run
    first = _run(tmp_path, spec)
    assert first.returncode == 0, first.stderr
    output = Path(spec["output_dir"])
    assert (output / OUTPUT_MARKER).exists() and (output.parent / RUN_MARKER).exists()

    again = _run(tmp_path, spec)
    assert again.returncode == 2 and '"overwrite_output": true' in again.stderr
    spec_path.parent.mkdir(exist_ok=True)
    spec_path.write_text(json.dumps({**spec, "overwrite_output": True}))
    text = spec_path.read_text()
    replaced = subprocess.run(
        engine_command(spec_path), capture_output=True, text=True, timeout=300
    )
    assert replaced.returncode == 0, replaced.stderr
    assert (output / OUTPUT_MARKER).exists()
    assert spec_path.read_text() == text  # the spec it was given is not rewritten


def test_a_checkpoint_holds_no_pickle_and_restores_the_training_state(tmp_path) -> None:
    """Optimizer, scheduler, scaler and RNG states round-trip through safetensors + JSON."""
    import random

    import torch

    from engine import checkpoint

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(3, 4)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5)
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": torch.amp.GradScaler("cpu", enabled=False).state_dict(),
        "rng": checkpoint.rng_state(),
    }
    folder = checkpoint.save(
        tmp_path, 1, weights={"w": torch.zeros(2)}, state=state, progress={"step": 1}, keep=2
    )
    assert not list(folder.glob("*.pt"))  # nothing to unpickle
    expected_random = [random.random() for _ in range(3)]
    _weights, loaded, _progress = checkpoint.load(folder)
    again = torch.optim.AdamW(torch.nn.Linear(4, 2).parameters(), lr=1e-3)
    again.load_state_dict(loaded["optimizer"])
    for key, value in optimizer.state_dict()["state"][0].items():
        assert torch.equal(again.state_dict()["state"][0][key], value)
    assert loaded["scheduler"] == scheduler.state_dict()
    checkpoint.set_rng_state(loaded["rng"])
    assert [random.random() for _ in range(3)] == expected_random

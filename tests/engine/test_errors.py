"""Bad specs exit 2 naming the field; bad data fails early with kind `data` and says where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.protocol import EXIT_FAILED, EXIT_INVALID_SPEC
from engine.spec import SpecError, TrainingSpec
from tests.engine.helpers import (
    classification_rows,
    make_spec,
    run_engine,
    spec_file,
    write_jsonl,
)

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


def _cls_spec(tmp: Path, data: Path, **changes) -> dict:
    spec = make_spec(tmp, "text_classification", data, model="tiny-bert", max_steps=2)
    spec.update(changes)
    return spec


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipe": "poetry"}, "recipe"),
        ({"hyperparameters": {"batch_size": "eight"}}, "hyperparameters.batch_size"),
        ({"hyperparameters": {"learning_rate": -1}}, "hyperparameters.learning_rate"),
        ({"model": {"source": "preset"}}, "model.name"),
        ({"dataset": {"path": "x", "colour": "red"}}, "dataset.colour"),
        ({"method": "qlora"}, "method"),
    ],
)
def test_invalid_spec_exits_2_naming_the_field(tmp_path: Path, change, field) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(8))
    code, events, stderr = run_engine(spec_file(tmp_path, _cls_spec(tmp_path, data, **change)))
    assert code == EXIT_INVALID_SPEC
    assert events[-1]["event"] == "failed" and events[-1]["kind"] == "config"
    assert events[-1]["field"] == field
    assert field in stderr


def test_spec_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"recipe": "causal_lm_sft",\n  "model": }')
    code, events, _stderr = run_engine(path)
    assert code == EXIT_INVALID_SPEC
    assert "line 2" in events[0]["error"]


def test_spec_round_trips_through_json() -> None:
    spec = TrainingSpec.from_dict(
        make_spec(Path("/tmp"), "causal_lm_sft", Path("d.jsonl"), model="tiny-gpt2")
    )
    assert TrainingSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    with pytest.raises(SpecError) as caught:
        TrainingSpec.from_dict({**spec.to_dict(), "lora": {"r": 0}})
    assert caught.value.field == "lora.r"


def _fails_with_data(tmp_path: Path, spec: dict, *needles: str) -> None:
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == EXIT_FAILED, stderr
    failed = events[-1]
    assert failed["event"] == "failed" and failed["kind"] == "data", failed
    for needle in needles:
        assert needle in failed["error"], failed["error"]
    assert not Path(spec["output_dir"]).exists()


def test_missing_column(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"body": "x", "label": "a"}] * 4)
    _fails_with_data(tmp_path, _cls_spec(tmp_path, data), "'text'", "dataset.text_column", "body")


def test_empty_dataset(tmp_path: Path) -> None:
    data = tmp_path / "empty.jsonl"
    data.write_text("")
    _fails_with_data(tmp_path, _cls_spec(tmp_path, data), "empty.jsonl", "empty")


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": \n')
    _fails_with_data(tmp_path, _cls_spec(tmp_path, data), "bad.jsonl, line 2")


def test_label_outside_the_declared_set(tmp_path: Path) -> None:
    rows = [*classification_rows(8), {"text": "odd", "label": "maybe"}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    spec = _cls_spec(tmp_path, data)
    spec["dataset"]["labels"] = ["neg", "pos"]
    _fails_with_data(tmp_path, spec, "row 9", "'maybe'")


def test_empty_cell_is_named_by_row(tmp_path: Path) -> None:
    rows = [*classification_rows(4), {"text": None, "label": "pos"}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    _fails_with_data(tmp_path, _cls_spec(tmp_path, data), "row 5", "'text'")


def test_missing_dataset_file(tmp_path: Path) -> None:
    _fails_with_data(
        tmp_path, _cls_spec(tmp_path, tmp_path / "nope.csv"), "nope.csv", "does not exist"
    )


def test_folder_with_only_a_pickle_checkpoint_is_refused(tmp_path: Path) -> None:
    model_dir = tmp_path / "pickled-model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text('{"model_type": "gpt2"}')
    (model_dir / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(8))
    spec = _cls_spec(tmp_path, data, model={"source": "local", "path": str(model_dir)})
    code, events, _ = run_engine(spec_file(tmp_path, spec))
    assert code == EXIT_FAILED
    assert events[-1]["kind"] == "config"
    assert "pytorch_model.bin" in events[-1]["error"]
    assert "safetensors" in events[-1]["error"]


def test_checkpoint_folder_with_only_pickles_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "downloaded-checkpoint"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not loaded")
    (folder / "optimizer.pt").write_bytes(b"\x80\x04not loaded either")
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(8))
    spec = _cls_spec(tmp_path, data, resume_from=str(folder))
    code, events, _ = run_engine(spec_file(tmp_path, spec))
    assert code == EXIT_FAILED
    assert events[-1]["kind"] == "config"
    assert "only pickle files (optimizer.pt, pytorch_model.bin)" in events[-1]["error"]


def test_oom_halves_the_micro_batch_and_keeps_the_effective_batch(tmp_path: Path) -> None:
    """No GPU here: the engine's test hook raises torch.OutOfMemoryError (the GPU stand-in)
    for micro-batches above 2, as a card with too little memory would."""
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(32))
    spec = _cls_spec(tmp_path, data)
    spec["hyperparameters"].update(batch_size=8, max_steps=3)
    code, events, stderr = run_engine(
        spec_file(tmp_path, spec), env={"SPARKTRAINER_ENGINE_FAKE_OOM_ABOVE": "2"}
    )
    assert code == 0, stderr
    logs = [e["message"] for e in events if e["event"] == "log"]
    assert any("micro-batch halved to 4" in m for m in logs)
    assert any("micro-batch halved to 2, gradient accumulation doubled to 4" in m for m in logs)
    assert all(e["values"]["samples_per_second"] > 0 for e in events if e["event"] == "metric")


def test_oom_at_a_micro_batch_of_one_fails_with_advice(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(16))
    spec = _cls_spec(tmp_path, data)
    spec["hyperparameters"].update(batch_size=2)
    # The GPU stand-in: every micro-batch above 0 samples "runs out of memory".
    code, events, _ = run_engine(
        spec_file(tmp_path, spec), env={"SPARKTRAINER_ENGINE_FAKE_OOM_ABOVE": "-1"}
    )
    assert code == EXIT_FAILED
    assert events[-1]["kind"] == "oom"
    assert "micro-batch of 1" in events[-1]["error"]
    assert "gradient_checkpointing" in events[-1]["error"]

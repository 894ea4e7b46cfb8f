"""Every recipe × method trains on a tiny preset and its loss falls (real subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.helpers import (
    classification_rows,
    losses,
    make_spec,
    run_engine,
    sft_rows,
    spec_file,
    write_jsonl,
)

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

CASES = [
    ("causal_lm_sft", "tiny-gpt2", "full", {}),
    ("causal_lm_sft", "tiny-gpt2", "lora", {"learning_rate": 1e-2}),
    ("text_classification", "tiny-bert", "full", {}),
    ("text_classification", "tiny-bert", "lora", {"learning_rate": 1e-2}),
]


@pytest.mark.parametrize(
    ("recipe", "model", "method", "hyper"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES]
)
def test_recipe_trains_and_its_loss_falls(tmp_path: Path, recipe, model, method, hyper) -> None:
    rows = sft_rows() if recipe == "causal_lm_sft" else classification_rows()
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    spec = make_spec(tmp_path, recipe, data, model=model, method=method, eval_every=10, **hyper)
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr + json.dumps(events[-1:])

    assert events[0]["event"] == "progress"  # setup reports before anything else
    names = [e["event"] for e in events if e["event"] != "progress"]
    assert names[0] == "started" and names[1] == "sample" and names[-1] == "completed"
    assert "eval" in names
    curve = losses(events)
    first, last = sum(list(curve.values())[:3]) / 3, sum(list(curve.values())[-3:]) / 3
    assert last < 0.8 * first, f"loss did not fall: {first:.3f} → {last:.3f}"

    output = Path(spec["output_dir"])
    assert (
        json.loads((output / "metrics.json").read_text())["steps"]
        == spec["hyperparameters"]["max_steps"]
    )
    weights = "adapter_model.safetensors" if method == "lora" else "model.safetensors"
    assert (output / weights).exists()
    run_events = (output.parent / "events.jsonl").read_text().splitlines()
    assert len(run_events) == len(events)  # stdout is a copy of the durable file


def test_sample_event_shows_what_the_model_sees(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", sft_rows(16))
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_steps=1)
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    sample = next(e for e in events if e["event"] == "sample")
    first = sample["rows"][0]
    assert "### Prompt:\nRepeat" in first["text"]
    assert first["trained_on"].startswith(first["text"].split("### Response:\n")[1][:4])
    assert "Repeat" not in first["trained_on"]  # loss on the response tokens only


def test_text_column_and_messages_formats(tmp_path: Path) -> None:
    messages = [
        {
            "messages": [
                {"role": "user", "content": f"hi {i}"},
                {"role": "assistant", "content": f"hello {i}"},
            ]
        }
        for i in range(16)
    ]
    data = write_jsonl(tmp_path / "chat.jsonl", messages)
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_steps=2, name="chat")
    spec["dataset"] = {"path": str(data), "messages_column": "messages"}
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    sample = next(e for e in events if e["event"] == "sample")["rows"][0]
    assert "### User:\nhi" in sample["text"] and sample["trained_on"].startswith("hello")

    plain = write_jsonl(tmp_path / "plain.jsonl", [{"text": f"line {i}"} for i in range(16)])
    spec = make_spec(tmp_path, "causal_lm_sft", plain, model="tiny-gpt2", max_steps=2, name="plain")
    spec["dataset"] = {"path": str(plain)}
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr

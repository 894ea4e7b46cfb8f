"""A large dataset starts in seconds with bounded memory: rows past EAGER_ROWS are tokenised
batch by batch as they train (issue: a data path that scales). Real engine subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.protocol import EXIT_COMPLETED
from engine.recipes import base
from tests.engine.helpers import (
    PEAK_RSS_BOUND,
    make_spec,
    run_measured,
    set_up_inline,
    spec_file,
    write_jsonl,
)

# Starts engines on a million rows: left out of the quick tier.
pytestmark = pytest.mark.slow


def test_a_million_rows_start_training_with_bounded_memory(tmp_path: Path) -> None:
    rows = [{"text": f"row {i} says hello to row {i + 1}"} for i in range(1_000_000)]
    data = write_jsonl(tmp_path / "million.jsonl", rows)
    del rows
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_steps=2)
    spec["dataset"] = {"path": str(data), "text_column": "text", "validation_split": 0.0005}
    code, events, first_progress, peak = run_measured(spec_file(tmp_path, spec))
    print(
        f"\n1M rows: first progress after {first_progress:.1f} s, peak RSS {peak / 2**20:.0f} MiB"
    )
    assert code == EXIT_COMPLETED, events[-1]
    phases = [e["phase"] for e in events if e["event"] == "progress"]
    assert "checking the first rows" in phases and "tokenising" not in phases
    assert 0 < first_progress < 20  # before torch is imported, whatever the data
    assert 0 < peak < PEAK_RSS_BOUND
    # Rows held in Arrow: about 580 MiB here, where rows as Python dicts took 1,020 MiB.
    assert peak < 900 << 20
    started = next(e for e in events if e["event"] == "started")
    assert started["train_rows"] + started["validation_rows"] == 1_000_000


@pytest.mark.parametrize("recipe", ["causal_lm_sft", "text_classification"])
def test_lazily_tokenised_batches_equal_those_tokenised_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recipe: str
) -> None:
    rows = [
        {"prompt": f"Say {i}", "response": "yes " * (i % 5 + 1), "text": f"a {i}", "label": i % 2}
        for i in range(60)
    ]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    model = "tiny-gpt2" if recipe == "causal_lm_sft" else "tiny-bert"
    spec = make_spec(tmp_path, recipe, data, model=model)
    if recipe == "text_classification":
        spec["dataset"] = {"path": str(data), "text_column": "text", "label_column": "label"}
    eager = set_up_inline(tmp_path / "eager", spec)
    monkeypatch.setattr(base, "EAGER_ROWS", 10)
    monkeypatch.setattr(base, "CHECKED_ROWS", 5)
    lazy = set_up_inline(tmp_path / "lazy", spec)
    assert all("input_ids" in r for r in eager.recipe.train_rows)
    assert sum("input_ids" in r for r in lazy.recipe.train_rows) < 10
    assert lazy.recipe.baseline() == eager.recipe.baseline()
    for indices in ([0, 1, 2, 3], [17, 40, 5], list(range(len(eager.recipe.train_rows)))[-6:]):
        expected, got = eager.batch(indices), lazy.batch(indices)
        assert (got.samples, got.tokens, got.loss_terms) == (
            expected.samples, expected.tokens, expected.loss_terms,
        )  # fmt: skip
        for name, tensor in expected.tensors.items():
            assert got.tensors[name].equal(tensor), name


def test_a_late_row_that_cannot_train_is_passed_over_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lazily, a row past the checked ones whose prompt fills max_seq_length teaches
    nothing (no loss terms) instead of failing a long run at a random step."""
    rows = [{"prompt": f"Say {i}", "response": "ok"} for i in range(40)]
    rows[30]["prompt"] = "x" * 400
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_seq_length=64)
    spec["dataset"]["validation_split"] = 0
    monkeypatch.setattr(base, "EAGER_ROWS", 10)
    monkeypatch.setattr(base, "CHECKED_ROWS", 5)
    trainer = set_up_inline(tmp_path / "lazy", spec)
    assert trainer.batch([30]).loss_terms == 0
    assert trainer.batch([29, 30]).loss_terms == trainer.batch([29]).loss_terms

"""The objective does not depend on how a batch is split (issue: accumulation weighting).

The engine's own set-up and accumulation step run in this process on tiny offline
presets; dropout is off (model.eval()) so every split sees the same function."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.helpers import (
    MLP,
    classification_rows,
    losses,
    make_spec,
    run_engine,
    set_up_inline,
    spec_file,
    tabular_rows,
    write_jsonl,
)

# Builds models and starts engines: left out of the quick tier.
pytestmark = pytest.mark.slow

SPLITS = ([8], [4, 4], [2, 2, 2, 2], [1] * 8)


def _ragged_sft_rows() -> list[dict]:
    """Responses from 1 to 40 bytes long: the micro-batches' token counts differ a lot."""
    words = ["ok", "alpha bravo", "a much longer answer than the others", "no"]
    return [{"prompt": f"Say {i}", "response": words[i % 4] + " !" * (i % 3)} for i in range(16)]


def _set_up(tmp_path: Path, spec: dict):
    trainer = set_up_inline(tmp_path / "inline", spec)
    trainer.model.eval()  # dropout off: the same function for every split
    return trainer


def _loss_and_gradients(trainer, indices: list[int], sizes: list[int]):
    trainer.optimizer.zero_grad(set_to_none=True)
    batches, start = [], 0
    for size in sizes:
        batches.append(trainer.batch(indices[start : start + size]))
        start += size
    loss = trainer.accumulate(batches)
    gradients = [p.grad.clone() for p in trainer.parameters if p.grad is not None]
    return float(loss), gradients, batches


def _assert_same(trainer, indices: list[int], splits) -> float:
    import torch

    whole, reference, _ = _loss_and_gradients(trainer, indices, splits[0])
    for sizes in splits[1:]:
        loss, gradients, _ = _loss_and_gradients(trainer, indices, sizes)
        assert loss == pytest.approx(whole, rel=1e-5), sizes
        assert len(gradients) == len(reference)
        for got, wanted in zip(gradients, reference, strict=True):
            torch.testing.assert_close(got, wanted, rtol=1e-4, atol=1e-6)
    return whole


def test_sft_with_ragged_responses_gives_one_loss_and_gradient_for_any_split(tmp_path):
    import torch

    data = write_jsonl(tmp_path / "d.jsonl", _ragged_sft_rows())
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2")
    spec["dataset"]["validation_split"] = 0
    trainer = _set_up(tmp_path, spec)
    indices = list(range(8))
    whole = _assert_same(trainer, indices, SPLITS)
    # The old objective, the mean of the micro-batches' means, is not this: the test would
    # catch its return.
    _, _, quarters = _loss_and_gradients(trainer, indices, [2, 2, 2, 2])
    assert len({b.loss_terms for b in quarters}) > 1  # the split is ragged
    means = []
    for batch in quarters:
        with torch.no_grad():
            means.append(float(trainer.recipe.loss(trainer.model, batch)))
    assert abs(sum(means) / len(means) - whole) > 1e-3


def test_classification_weights_micro_batches_by_their_examples(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(16))
    spec = make_spec(tmp_path, "text_classification", data, model="tiny-bert")
    spec["dataset"]["validation_split"] = 0
    trainer = _set_up(tmp_path, spec)
    # Unequal micro-batches too: the last one of an epoch is often short.
    _assert_same(trainer, list(range(8)), (*SPLITS, [5, 3], [1, 7]))


def test_the_oom_fallback_trains_the_same_steps_as_one_micro_batch(tmp_path):
    """The hook raises after a forward and backward of a micro-batch above 2 (no GPU here):
    the redo starts from clean gradients, and the halved micro-batches give the losses
    and gradient norms of the unsplit run."""
    data = write_jsonl(tmp_path / "tab.jsonl", tabular_rows(64))
    runs = {}
    for name, env in (("plain", {}), ("oom", {"SPARKTRAINER_ENGINE_FAKE_OOM_ABOVE": "2"})):
        spec = make_spec(
            tmp_path, "custom_architecture", data, model="unused", name=name, max_steps=6,
            batch_size=8, learning_rate=1e-2,
        )  # fmt: skip
        spec["model"] = {"source": "architecture", "definition": MLP}
        code, events, stderr = run_engine(spec_file(tmp_path, spec), env=env)
        assert code == 0, stderr
        runs[name] = events
    logs = [e["message"] for e in runs["oom"] if e["event"] == "log"]
    assert any("micro-batch halved to 2, gradient accumulation doubled to 4" in m for m in logs)
    assert losses(runs["oom"]) == pytest.approx(losses(runs["plain"]), rel=1e-5)
    norms = {
        name: [e["values"]["grad_norm"] for e in events if e["event"] == "metric"]
        for name, events in runs.items()
    }
    assert norms["oom"] == pytest.approx(norms["plain"], rel=1e-4)

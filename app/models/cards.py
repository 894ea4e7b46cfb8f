"""A model's card from its lineage: the engine's facts plus what only the registry knows
(the dataset version's checksum, the job's whole running time, the best metrics)."""

from __future__ import annotations

from typing import Any

from app.models.store import ModelRecord
from engine.model_card import card_file, loader_lines, render_card

LOWER_IS_BETTER = ("loss", "perplexity")


def best_of(series: dict[str, list[float | None]]) -> dict[str, float]:
    """The best value each evaluation metric reached."""
    best = {}
    for name, values in series.items():
        finite = [v for v in values if v is not None and v == v]
        if finite:
            lower = any(word in name for word in LOWER_IS_BETTER)
            best[name] = min(finite) if lower else max(finite)
    return best


def facts(record: ModelRecord) -> dict[str, Any]:
    """A trained (or merged) model's card facts; a base has `base_card` instead."""
    known: dict[str, Any] = dict(record.facts or {})
    known["name"] = record.name
    if record.dataset:
        known["dataset"] = {**known.get("dataset", {}), **record.dataset}
    if record.metrics:
        known.update({k: v for k, v in record.metrics.items() if v})
    known.setdefault("recipe", record.task)
    known["method"] = record.method
    if record.job_id:
        known["job_id"] = record.job_id
    known["loader"] = loader_lines(record.task, "lora" if record.method == "lora" else "full")
    return known


def base_card(record: ModelRecord) -> str:
    """A base model's card: what it is, where it is, how to load it (nothing was trained)."""
    lines = [f"# {record.name}", "", f"Base model for {record.task_name}."]
    if record.source == "preset":
        lines += [
            "",
            "Built into SparkTrainer: the engine makes it from a small configuration with "
            "random weights and a byte-level tokenizer, so every recipe runs offline. It is "
            "for trying the workflow; its outputs mean nothing until it is trained.",
        ]
    else:
        lines += ["", f"- Architecture: {record.architecture}"]
        if record.parameters:
            lines.append(f"- Parameters: {record.parameters:,} ({record.dtype})")
        if record.path:
            lines.append(f"- Folder: `{record.path}`")
        if record.task in ("causal_lm_sft", "text_classification", "image_classification"):
            lines += ["", "## How to load", "", "```python"]
            lines += [*loader_lines(record.task, "full", record.path or record.name), "```"]
    return "\n".join(lines) + "\n"


def card_body(record: ModelRecord) -> str:
    """The person's edited card, or one generated from the lineage."""
    if record.card is not None:
        return record.card
    return base_card(record) if record.method == "base" else render_card(facts(record))


def readme(record: ModelRecord) -> str:
    """README.md as written into a model folder and an export."""
    return card_file(card_body(record), facts(record))

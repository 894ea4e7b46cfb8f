"""Model cards: the README.md of every model folder we write, from facts, never a template.

One renderer for the engine (a card from what the run knows, written with the output) and
the registry (the same card with the lineage only the app knows: the dataset version's
checksum, the job, the best metrics). The person's own words go in the two sections left
to them; nothing here writes a placeholder.

Standard library only: the GUI imports this.
"""

from __future__ import annotations

import json
import math
from typing import Any

TASKS = {
    "causal_lm_sft": ("Causal language model, supervised fine-tuning", "text-generation"),
    "text_classification": ("Text classification", "text-classification"),
    "image_classification": ("Image classification", "image-classification"),
    "custom_architecture": ("Classifier built in SparkTrainer's Builder", None),
}
PERSON_SECTIONS = ("Intended use", "Limitations")
"""Sections only the person can write: present, with a comment saying what goes there."""
_ASK = {
    "Intended use": "What this model is for, and who should use it.",
    "Limitations": "Where it fails, and what it must not be used for.",
}
ARCHITECTURE_WEIGHTS = "model.safetensors"
ARCHITECTURE_DEFINITION = "architecture.json"
"""engine/architecture.py's file names (it imports torch; this module may not)."""
HIDDEN_HYPERPARAMETERS = {"eval_every", "checkpoint_every", "log_every", "keep_checkpoints"}


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _metrics_table(facts: dict[str, Any]) -> list[str]:
    final = {k: v for k, v in (facts.get("final") or {}).items() if k != "steps"}
    best = facts.get("best") or {}
    baseline = facts.get("baseline") or {}
    names = [n for n in final if isinstance(final[n], int | float)]
    names += [n for n in best if n not in names]
    if not names:
        return ["No validation rows were held out, so no metric was measured."]
    columns = ["Metric", "Final"]
    if best:
        columns.append("Best")
    if baseline:
        columns.append(f"Baseline ({baseline.get('name', 'baseline')})")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for name in names:
        cells = [name, _number(final[name]) if name in final else "–"]
        if best:
            cells.append(_number(best[name]) if name in best else "–")
        if baseline:
            cells.append(_number(baseline[name]) if name in baseline else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _dataset_lines(facts: dict[str, Any]) -> list[str]:
    data = facts.get("dataset") or {}
    if data.get("name"):
        named = f"**{data['name']}**" + (
            f", version {data['version']}" if data.get("version") else ""
        )
    else:
        named = f"`{data.get('path', 'unknown')}`"
    lines = [f"- Dataset: {named}"]
    if data.get("sha256"):
        lines.append(f"- Dataset checksum (SHA-256): `{data['sha256']}`")
    if data.get("rows") is not None:
        lines.append(f"- Rows in the dataset: {_number(data['rows'])}")
    split = facts.get("split") or {}
    if split:
        parts = [
            f"{_number(split[k])} {k}" for k in ("train", "validation", "test") if split.get(k)
        ]
        lines.append(f"- Split: {', '.join(parts)}")
    if facts.get("labels"):
        lines.append(f"- Labels: {', '.join(str(label) for label in facts['labels'])}")
    return lines


def _training_lines(facts: dict[str, Any]) -> list[str]:
    method = {
        "full": "full fine-tune",
        "lora": "LoRA adapter",
        "merged": "LoRA merged into its base",
    }
    lines = [f"- Method: {method.get(facts.get('method', ''), facts.get('method', 'unknown'))}"]
    lora = facts.get("lora")
    if facts.get("method") in ("lora", "merged") and lora:
        targets = ", ".join(lora.get("target_modules") or []) or "the attention projections"
        lines.append(
            f"- LoRA: r {lora.get('r')}, alpha {lora.get('alpha')}, dropout {lora.get('dropout')}, "
            f"on {targets}"
        )
    hp = {k: v for k, v in (facts.get("hyperparameters") or {}).items() if v is not None}
    shown = ", ".join(
        f"{k} {_number(v)}" for k, v in sorted(hp.items()) if k not in HIDDEN_HYPERPARAMETERS
    )
    if shown:
        lines.append(f"- Hyperparameters: {shown}")
    if facts.get("steps"):
        lines.append(f"- Optimizer steps: {_number(facts['steps'])}")
    if facts.get("training_seconds"):
        lines.append(f"- Training time: {_duration(float(facts['training_seconds']))}")
    if facts.get("hardware"):
        lines.append(f"- Hardware: {facts['hardware']}")
    if facts.get("job_id"):
        lines.append(f"- SparkTrainer job: `{facts['job_id']}`")
    return lines


def render_card(facts: dict[str, Any]) -> str:
    """The card's Markdown body (no metadata header): what the model is, what it was trained
    on and how, how it scored, and how to load it."""
    task, _pipeline = TASKS.get(facts.get("recipe", ""), (facts.get("recipe", "Model"), None))
    lines = [f"# {facts.get('name') or 'Model'}", ""]
    base = facts.get("base_model")
    lines.append(f"{task}" + (f", trained from **{base}**." if base else "."))
    if facts.get("created"):
        lines += ["", f"Created {facts['created']} with SparkTrainer."]
    lines += ["", "## Training data", "", *_dataset_lines(facts)]
    lines += ["", "## Training", "", *_training_lines(facts)]
    lines += ["", "## Evaluation", "", *_metrics_table(facts)]
    if facts.get("loader"):
        lines += ["", "## How to load", "", "```python", *facts["loader"], "```"]
    for section in PERSON_SECTIONS:
        lines += ["", f"## {section}", "", f"<!-- {_ASK[section]} -->"]
    return "\n".join(lines) + "\n"


def loader_lines(recipe: str, method: str, folder: str = "path/to/this/folder") -> list[str]:
    """The one-line loader for a model folder of this kind."""
    if recipe == "custom_architecture":
        return [
            "from safetensors.torch import load_file",
            f"weights = load_file({folder!r} + '/{ARCHITECTURE_WEIGHTS}')",
            f"# the network's layers: {ARCHITECTURE_DEFINITION}",
        ]
    auto = {
        "causal_lm_sft": "CausalLM",
        "text_classification": "SequenceClassification",
        "image_classification": "ImageClassification",
    }[recipe]
    if method == "lora":
        cls = "AutoPeftModel" if recipe == "image_classification" else f"AutoPeftModelFor{auto}"
        return [f"from peft import {cls}", f"model = {cls}.from_pretrained({folder!r})"]
    cls = f"AutoModelFor{auto}"
    return [f"from transformers import {cls}", f"model = {cls}.from_pretrained({folder!r})"]


def metadata(facts: dict[str, Any]) -> dict[str, Any]:
    """Hugging Face's card metadata: only fields whose values the hub accepts."""
    _task, pipeline = TASKS.get(facts.get("recipe", ""), ("", None))
    method = facts.get("method")
    data: dict[str, Any] = {"library_name": "peft" if method == "lora" else "transformers"}
    if pipeline:
        data["pipeline_tag"] = pipeline
    if facts.get("base_model_hub"):  # a hub id; a local folder or preset is not one
        data["base_model"] = facts["base_model_hub"]
    data["tags"] = ["sparktrainer", *(["lora"] if method in ("lora", "merged") else [])]
    return data


def card_file(body: str, facts: dict[str, Any]) -> str:
    """README.md: the YAML metadata header (JSON values are valid YAML) and the body."""
    header = "\n".join(f"{key}: {json.dumps(value)}" for key, value in metadata(facts).items())
    return f"---\n{header}\n---\n\n{body.lstrip()}"


def body_of(readme: str) -> str:
    """A README's Markdown without its metadata header."""
    if readme.startswith("---\n"):
        end = readme.find("\n---\n", 4)
        if end != -1:
            return readme[end + 5 :].lstrip("\n")
    return readme

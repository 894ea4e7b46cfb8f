"""What each recipe reads and how a first job of it is set up: shared by the job wizard,
the command line and tests, so none of them keeps its own copy of a default or a rule."""

from __future__ import annotations

import json
import shlex
from typing import Any

from app.datasets.store import Dataset
from app.jobs.spec_choices import PLAIN_TEMPLATE
from app.launch import shown_command
from engine.recommended import TUNED, recommended
from engine.recommended import model_kind as model_kind
from engine.recommended import tuning_key as tuning_key
from engine.token_vocabulary import words

RECIPES = (
    ("text_classification", "Text classification", "Sort text into labels (sentiment, topic)."),
    (
        "causal_lm_sft",
        "Instruction tuning (causal LM)",
        "Teach a language model to answer prompts: prompt/response pairs, chats or plain text.",
    ),
    ("image_classification", "Image classification", "Sort images into classes."),
    (
        "custom_architecture",
        "Builder network",
        "Train a network composed in the Builder pane on a table, images or labelled text.",
    ),
)
RECIPE_NAMES = {key: name for key, name, _ in RECIPES}
SFT_MODES = (
    ("prompt", "Prompt and response columns"),
    ("text", "One text column"),
    ("messages", "A messages column (chat)"),
)
LORA_DEFAULTS = {
    "causal_lm_sft": {"r": 16, "alpha": 32, "dropout": 0.05},
    "text_classification": {"r": 8, "alpha": 16, "dropout": 0.1},
    "image_classification": {"r": 8, "alpha": 16, "dropout": 0.1},
}


def default_spec() -> dict[str, Any]:
    """A first job: the hyperparameters tuned for its recipe, method and model kind."""
    spec: dict[str, Any] = {
        "recipe": "text_classification",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {
            "path": "",
            "text_column": "text",
            "label_column": "label",
            "validation_split": 0.1,
        },
        "method": "full",
        "hyperparameters": {"max_seq_length": 256},
    }
    return retune(spec)


def retune(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the tuned hyperparameters of its (recipe, method, model kind) set, for
    a wizard whose choices changed them; the person's other values stay."""
    values = recommended(spec.get("recipe", ""), spec.get("method", "full"), spec.get("model"))
    spec.setdefault("hyperparameters", {}).update({k: values[k] for k in TUNED})
    return spec


def submit_command(spec_file: str, name: str, gpus: int, priority: int) -> str:
    parts = shown_command("job", "submit", spec_file)
    if name:
        parts += ["--name", name]
    if gpus:
        parts += ["--gpus", str(gpus)]
    if priority:
        parts += ["--priority", str(priority)]
    return shlex.join(parts)


def format_example(spec: dict[str, Any], row: dict[str, Any]) -> str:
    """A row the way the recipe presents it to the model (plain template for presets)."""
    dataset, recipe = spec.get("dataset", {}), spec.get("recipe")
    if recipe == "causal_lm_sft":
        if dataset.get("messages_column"):
            messages = row.get(dataset["messages_column"]) or []
            if isinstance(messages, str):
                try:
                    messages = json.loads(messages)
                except ValueError:
                    return f"(not a list of messages: {messages[:80]!r})"
            history = messages[:-1] if isinstance(messages, list) else []
            text = "".join(
                f"### {m.get('role', '?').title()}:\n{m.get('content', '')}\n\n"
                for m in history
                if isinstance(m, dict)
            )
            last = messages[-1] if isinstance(messages, list) and messages else {}
            return text + "### Assistant:\n" + f"[learns] {last.get('content', '')}"
        if dataset.get("prompt_column"):
            prompt = PLAIN_TEMPLATE.format(prompt=row.get(dataset["prompt_column"], ""))
            return prompt + f"[learns] {row.get(dataset.get('response_column') or '', '')}"
        return f"[learns] {row.get(dataset.get('text_column', 'text'), '')}"
    if recipe == "text_classification":
        return (
            f"{row.get(dataset.get('text_column', 'text'), '')}\n"
            f"→ label {row.get(dataset.get('label_column', 'label'))!r}"
        )
    label = f"→ label {row.get(dataset.get('label_column', 'label'))!r}"
    inputs = ((spec.get("model") or {}).get("definition") or {}).get("input") or {}
    if recipe == "custom_architecture" and inputs.get("kind") == "tokens":
        text = str(row.get(dataset.get("text_column", "text"), ""))
        read = words(text)[: int(inputs.get("length") or 0)]
        return f"{text}\n{label}\n(reads {len(read)} words: {' '.join(read)})"
    if recipe == "custom_architecture" and inputs.get("kind") == "tabular":
        features = ", ".join(f"{name}={row.get(name)!r}" for name in inputs.get("features") or [])
        return f"{features} {label}"
    return f"{row.get('image', '')} {label}"


def fits_recipe(dataset: Dataset, recipe: str | None) -> bool:
    """Whether a stored dataset looks like what the recipe reads (to choose it first)."""
    version = dataset.current
    columns = set(version.columns)
    if recipe == "image_classification":
        return version.kind == "images"
    if recipe == "text_classification":
        return version.kind == "table" and bool(version.stats.get("label_column"))
    if recipe == "causal_lm_sft":
        return version.kind == "table" and (
            {"prompt", "response"} <= columns or "text" in columns or "messages" in columns
        )
    return True


def label_warning(spec: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """A label column that looks like free text (a warning: it may be right)."""
    dataset = spec.get("dataset", {})
    label = dataset.get("label_column")
    if spec.get("recipe") not in ("text_classification", "image_classification") or not rows:
        return ""
    values = [row.get(label) for row in rows]
    distinct = len({json.dumps(v, default=str) for v in values})
    if len(values) >= 20 and distinct > len(values) / 2:
        return (
            f"{label!r} has {distinct} different values in the first {len(values)} rows: "
            "is it really the label?"
        )
    return ""

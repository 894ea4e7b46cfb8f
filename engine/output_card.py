"""The facts a finished run knows about its model, kept beside it and rendered as its card.

`sparktrainer.json` holds them so the registry can render the card again with the lineage
only the app knows (engine/model_card.py renders both).
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from engine.model_card import card_file, loader_lines, render_card
from engine.recipes.base import Recipe
from engine.spec import TrainingSpec

FACTS_FILE = "sparktrainer.json"


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        count = torch.cuda.device_count()
        return f"{count} × {name}" if count > 1 else name
    if device.type == "mps":
        return f"Apple GPU (MPS), {platform.machine()}"
    return f"CPU ({platform.machine()}, {os.cpu_count()} logical cores)"


def model_name(spec: TrainingSpec) -> str:
    model = spec.model
    if model.source == "preset":
        return str(model.name)
    if model.source == "hub":
        return str(model.repo_id)
    if model.source == "local":
        return Path(model.path or "").name
    return "Builder network"


def prompt_format(spec: TrainingSpec) -> str | None:
    """How a causal LM's training prompts were written (engine/prompts.py), so the playground
    writes its prompts the same way: "prompt", "messages" or "text" (raw text)."""
    if spec.recipe != "causal_lm_sft":
        return None
    data = spec.dataset
    if data.messages_column:
        return "messages"
    return "prompt" if data.prompt_column and data.response_column else "text"


def facts_of(
    spec: TrainingSpec,
    recipe: Recipe,
    *,
    steps: int,
    final: dict[str, float],
    baseline: dict[str, Any],
    seconds: float,
    device: torch.device,
) -> dict[str, Any]:
    data = spec.dataset
    return {
        "name": f"{model_name(spec)} · {spec.recipe.replace('_', ' ')}",
        "recipe": spec.recipe,
        "method": spec.method,
        "model": spec.to_dict()["model"],
        "base_model": model_name(spec),
        "base_model_hub": spec.model.repo_id if spec.model.source == "hub" else None,
        "dataset": {"name": data.name, "version": data.version, "path": data.path},
        "split": {
            "train": len(recipe.train_rows),
            "validation": len(recipe.val_rows),
            "test": recipe.test_count,
        },
        "labels": list(getattr(recipe, "labels", None) or []) or None,
        "prompt_format": prompt_format(spec),
        "hyperparameters": asdict(spec.hyperparameters),
        "lora": asdict(spec.lora) if spec.method == "lora" else None,
        "steps": steps,
        "final": final,
        "baseline": baseline,
        "training_seconds": round(seconds, 1),
        "hardware": hardware(device),
        "job_id": spec.job_id,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loader": loader_lines(spec.recipe, spec.method),
    }


def write_card(folder: Path, facts: dict[str, Any]) -> None:
    """sparktrainer.json and README.md (in place of the library's template card)."""
    (folder / FACTS_FILE).write_text(json.dumps(facts, indent=2))
    (folder / "README.md").write_text(card_file(render_card(facts), facts), encoding="utf-8")

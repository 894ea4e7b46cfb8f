"""Hyperparameters that learn, by recipe, method and model kind.

A spec that leaves a hyperparameter out gets the value here, and the job wizard starts
from the same table, so a first run learns whichever way it is started. Random-weight
models (the presets and builder networks) learn from scratch and need learning rates
twenty times those that fine-tune a pretrained model without wrecking it; LoRA trains few
weights and takes larger steps again. The preset rows were measured on the sample
datasets (tests/engine/test_recommended.py keeps them honest); the pretrained rows are
the usual fine-tuning values (BERT / ViT papers, PEFT's examples).

Standard library only: the GUI imports this.
"""

from __future__ import annotations

import copy
from typing import Any

RANDOM_SOURCES = ("preset", "architecture")
"""Model sources whose weights start random."""

TUNED = ("learning_rate", "epochs", "batch_size")
"""The hyperparameters the table sets; the others have one default for every job."""

_TABLE: dict[tuple[str, str, str], dict[str, Any]] = {
    # (recipe, method, "random" | "pretrained") → values
    ("text_classification", "full", "random"): {
        "learning_rate": 1e-3,
        "epochs": 5,
        "batch_size": 8,
    },
    ("text_classification", "lora", "random"): {
        "learning_rate": 1e-2,
        "epochs": 5,
        "batch_size": 8,
    },
    ("text_classification", "full", "pretrained"): {
        "learning_rate": 3e-5,
        "epochs": 3,
        "batch_size": 16,
    },
    ("text_classification", "lora", "pretrained"): {
        "learning_rate": 5e-4,
        "epochs": 3,
        "batch_size": 16,
    },
    ("causal_lm_sft", "full", "random"): {"learning_rate": 1e-3, "epochs": 3, "batch_size": 8},
    ("causal_lm_sft", "lora", "random"): {"learning_rate": 1e-2, "epochs": 5, "batch_size": 8},
    ("causal_lm_sft", "full", "pretrained"): {
        "learning_rate": 2e-5,
        "epochs": 3,
        "batch_size": 8,
    },
    ("causal_lm_sft", "lora", "pretrained"): {
        "learning_rate": 2e-4,
        "epochs": 3,
        "batch_size": 8,
    },
    ("image_classification", "full", "random"): {
        "learning_rate": 5e-4,
        "epochs": 15,
        "batch_size": 16,
    },
    ("image_classification", "lora", "random"): {
        "learning_rate": 5e-3,
        "epochs": 15,
        "batch_size": 16,
    },
    ("image_classification", "full", "pretrained"): {
        "learning_rate": 5e-5,
        "epochs": 3,
        "batch_size": 16,
    },
    ("image_classification", "lora", "pretrained"): {
        "learning_rate": 1e-3,
        "epochs": 3,
        "batch_size": 16,
    },
    ("custom_architecture", "full", "random"): {
        "learning_rate": 1e-3,
        "epochs": 20,
        "batch_size": 16,
    },
}


def model_kind(model: dict[str, Any] | None) -> str:
    """ "random" for presets and builder networks, "pretrained" for real checkpoints."""
    source = (model or {}).get("source", "preset")
    return "random" if source in RANDOM_SOURCES else "pretrained"


def recommended(recipe: str, method: str, model: dict[str, Any] | None) -> dict[str, Any]:
    """The tuned hyperparameters for this kind of job (a copy, to change freely)."""
    kind = model_kind(model)
    values = (
        _TABLE.get((recipe, method, kind))
        or _TABLE.get((recipe, "full", kind))
        or _TABLE[("text_classification", method if method in ("full", "lora") else "full", kind)]
    )
    return dict(values)


def tuning_key(spec: dict[str, Any]) -> tuple[str, str, str]:
    """What the recommendation depends on: a change of any part calls for new values."""
    return (
        str(spec.get("recipe", "")),
        str(spec.get("method", "full")),
        model_kind(spec.get("model")),
    )


def with_recommended(data: Any) -> Any:
    """A copy of a spec dict with the tuned hyperparameters it leaves out filled in.

    Anything that is not a spec-shaped dict comes back unchanged, for the validator to
    name what is wrong with it.
    """
    if not isinstance(data, dict) or not isinstance(data.get("hyperparameters", {}), dict):
        return data
    filled = copy.deepcopy(data)
    hyper = filled.setdefault("hyperparameters", {})
    values = recommended(
        str(filled.get("recipe", "")),
        str(filled.get("method", "full")),
        filled.get("model") if isinstance(filled.get("model"), dict) else None,
    )
    for name in TUNED:
        hyper.setdefault(name, values[name])
    return filled

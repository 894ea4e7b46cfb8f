"""A Builder network trained here: the datasets whose shape fits it, and the job spec that
trains it with the `custom_architecture` recipe (what "Train this…" opens the wizard on)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from app.datasets.store import DatasetStore, DatasetVersion
from app.errors import UserError
from engine.network import NetworkError, check

NUMBER_TYPES = ("int", "float", "double", "decimal")


@dataclass(frozen=True)
class Fit:
    version: DatasetVersion
    features: list[str]
    """The numeric columns a vector input reads (empty for images and text)."""
    label_column: str
    text_column: str | None = None
    """The column a tokens input reads its words from."""


def fitting(datasets: DatasetStore, definition: dict[str, Any]) -> list[Fit]:
    """The current versions that fit the network's input: image datasets for an image
    input, tables with enough numeric columns (besides the label) for a vector one, and
    labelled text for a tokens input."""
    try:
        analysis = check(definition)
    except NetworkError as error:
        raise UserError(f"{error.path}: {error.message}", "Fix the network first.") from None
    kind = definition["input"]["kind"]
    found = []
    for dataset in datasets.datasets():
        version = dataset.current
        label = str(version.stats.get("label_column") or "label")
        if label not in version.columns:
            continue
        if kind == "image":
            if version.kind == "images":
                found.append(Fit(version, [], label))
            continue
        if analysis.tokens:
            text = version.stats.get("text_column")
            if version.kind == "table" and text and text in version.columns and text != label:
                found.append(Fit(version, [], label, str(text)))
            continue
        wanted = analysis.input[0]
        numeric = [
            name
            for name, arrow_type in version.schema
            if name != label and name != "split" and arrow_type.startswith(NUMBER_TYPES)
        ]
        if kind == "tabular":
            features = list(definition["input"]["features"])
            if version.kind == "table" and set(features) <= set(numeric):
                found.append(Fit(version, features, label))
        elif version.kind == "table" and len(numeric) >= wanted:
            found.append(Fit(version, numeric[:wanted], label))
    return found


def training_spec(definition: dict[str, Any], fit: Fit) -> dict[str, Any]:
    """The network on that dataset: a vector input becomes the table's numeric columns,
    a tokens input reads the text column."""
    from app.jobs.recipes import retune

    network = copy.deepcopy(definition)
    if fit.features:
        network["input"] = {"kind": "tabular", "features": fit.features}
    network.pop("head", None)  # the classes come from the data
    spec = {
        "recipe": "custom_architecture",
        "method": "full",
        "model": {"source": "architecture", "definition": network},
        "dataset": {
            "path": str(fit.version.data_file),
            "label_column": fit.label_column,
            **({"text_column": fit.text_column} if fit.text_column else {}),
            "validation_split": 0.1,
        },
        "hyperparameters": {},
    }
    return retune(spec)

"""The Builder's edits as functions from one definition to the next.

Each returns a new definition (the one given is left as it was, so the undo stack keeps
both) and the path of the layer to select after it; the pane pushes the pair on its undo
stack. A path is engine/network.py's: "layers[2]", "layers[2].layers[0]".
"""

from __future__ import annotations

import copy
from typing import Any

from engine.network import locate

Definition = dict[str, Any]

NEW_LAYER: dict[str, dict[str, Any]] = {
    "Linear": {"out_features": 64},
    "Conv2d": {"out_channels": 16, "kernel_size": 3, "padding": 1},
    "Embedding": {"embedding_dim": 64},
    "LSTM": {"hidden_size": 64},
    "GRU": {"hidden_size": 64},
    "TransformerEncoderLayer": {"nhead": 4},
    "Residual": {"layers": [{"type": "ReLU"}]},
}
"""The arguments a layer starts with when added from the palette (required ones set)."""


def _sibling(path: str, index: int) -> str:
    return path.rsplit("[", 1)[0] + f"[{index}]"


def add_layer(definition: Definition, after_path: str, kind: str) -> tuple[Definition, str]:
    """A new `kind` layer after the one at `after_path` (at the end when none is given)."""
    after = copy.deepcopy(definition)
    layer = {"type": kind, **copy.deepcopy(NEW_LAYER.get(kind, {}))}
    if after_path:
        layers, index = locate(after, after_path)
        layers.insert(index + 1, layer)
        return after, _sibling(after_path, index + 1)
    after.setdefault("layers", []).append(layer)
    return after, f"layers[{len(after['layers']) - 1}]"


def remove_layer(definition: Definition, path: str) -> tuple[Definition, str]:
    """Without the layer at `path`; the one before it (or the first) is selected."""
    after = copy.deepcopy(definition)
    layers, index = locate(after, path)
    layers.pop(index)
    return after, _sibling(path, max(index - 1, 0)) if layers else ""


def move_layer(definition: Definition, path: str, step: int) -> tuple[Definition, str] | None:
    """The layer swapped with its neighbour `step` away in its own list; None at an end."""
    after = copy.deepcopy(definition)
    layers, index = locate(after, path)
    target = index + step
    if not 0 <= target < len(layers):
        return None
    layers[index], layers[target] = layers[target], layers[index]
    return after, _sibling(path, target)


def wrap_in_residual(definition: Definition, path: str) -> tuple[Definition, str]:
    after = copy.deepcopy(definition)
    layers, index = locate(after, path)
    layers[index] = {"type": "Residual", "layers": [layers[index]]}
    return after, path


def replace_layer(definition: Definition, path: str, layer: dict[str, Any]) -> Definition | None:
    """The layer at `path` replaced by `layer`; None when nothing changes (no undo step)."""
    after = copy.deepcopy(definition)
    layers, index = locate(after, path)
    if layers[index] == layer:
        return None
    layers[index] = copy.deepcopy(layer)
    return after


def set_input(definition: Definition, spec: dict[str, Any], classes: int) -> Definition | None:
    """A new input and class count (a version 2 definition); None when nothing changes."""
    after = copy.deepcopy(definition)
    after["input"], after["head"], after["version"] = spec, {"num_classes": classes}, 2
    return None if after == definition else after

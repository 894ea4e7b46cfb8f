"""Networks from the builder's JSON definition (a sequential stack, version 1).

    {"input": {"kind": "tabular", "features": ["x1", "x2"]}
            | {"kind": "image", "channels": 3, "height": 32, "width": 32},
     "layers": [{"type": "Linear", "out_features": 64}, {"type": "ReLU"}, …]}

Input sizes are inferred layer by layer from the input shape, and a final
Linear head with one output per class is added, so a definition never states
a size twice. Saved as safetensors plus `architecture.json`; `load_pretrained`
rebuilds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from engine.errors import ConfigError
from engine.model_card import ARCHITECTURE_DEFINITION, ARCHITECTURE_WEIGHTS

DEFINITION_FILE = ARCHITECTURE_DEFINITION
WEIGHTS_FILE = ARCHITECTURE_WEIGHTS

# type → (constructor, the arguments it accepts, the argument inferred from the input shape)
_LAYERS: dict[str, tuple[type[nn.Module], set[str], str | None]] = {
    "Linear": (nn.Linear, {"out_features", "bias"}, "in_features"),
    "Conv2d": (
        nn.Conv2d,
        {"out_channels", "kernel_size", "stride", "padding", "bias"},
        "in_channels",
    ),
    "BatchNorm1d": (nn.BatchNorm1d, set(), "num_features"),
    "BatchNorm2d": (nn.BatchNorm2d, set(), "num_features"),
    "LayerNorm": (nn.LayerNorm, set(), "normalized_shape"),
    "MaxPool2d": (nn.MaxPool2d, {"kernel_size", "stride", "padding"}, None),
    "AvgPool2d": (nn.AvgPool2d, {"kernel_size", "stride", "padding"}, None),
    "AdaptiveAvgPool2d": (nn.AdaptiveAvgPool2d, {"output_size"}, None),
    "Flatten": (nn.Flatten, set(), None),
    "Dropout": (nn.Dropout, {"p"}, None),
    "ReLU": (nn.ReLU, set(), None),
    "GELU": (nn.GELU, set(), None),
    "SiLU": (nn.SiLU, set(), None),
    "Tanh": (nn.Tanh, set(), None),
    "Sigmoid": (nn.Sigmoid, set(), None),
}


@dataclass
class ClassifierOutput:
    logits: torch.Tensor
    loss: torch.Tensor | None = None


def input_shape(definition: dict[str, Any]) -> tuple[int, ...]:
    spec = definition.get("input")
    if not isinstance(spec, dict) or spec.get("kind") not in ("tabular", "image"):
        raise ConfigError(
            'model.definition.input: must be {"kind": "tabular", "features": '
            '[…]} or {"kind": "image", "channels", "height", "width"}'
        )
    if spec["kind"] == "tabular":
        features = spec.get("features")
        if not isinstance(features, list) or not features:
            raise ConfigError("model.definition.input.features: list the feature columns")
        return (len(features),)
    try:
        return (int(spec["channels"]), int(spec["height"]), int(spec["width"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            "model.definition.input: an image input needs integer channels, height and width"
        ) from error


def build_layers(definition: dict[str, Any], num_classes: int) -> nn.Sequential:
    shape = input_shape(definition)
    layers = definition.get("layers")
    if not isinstance(layers, list):
        raise ConfigError("model.definition.layers: must be a list of layers")
    modules: list[nn.Module] = []
    probe = torch.zeros((2, *shape))
    for index, layer in enumerate(layers):
        where = f"model.definition.layers[{index}]"
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind not in _LAYERS:
            raise ConfigError(f"{where}.type: {kind!r} is not one of {', '.join(_LAYERS)}")
        constructor, allowed, inferred = _LAYERS[kind]
        arguments = {k: v for k, v in layer.items() if k != "type"}
        unknown = sorted(set(arguments) - allowed)
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: not an argument of {kind}")
        if inferred:
            arguments[inferred] = probe.shape[-1] if kind == "LayerNorm" else probe.shape[1]
        try:
            module = constructor(**arguments)
            probe = module(probe)
        except (TypeError, RuntimeError, ValueError) as error:
            raise ConfigError(
                f"{where}: {kind} cannot take an input of shape {list(probe.shape[1:])}: {error}"
            ) from error
        modules.append(module)
    if probe.ndim > 2:
        modules.append(nn.Flatten())
        probe = probe.flatten(1)
    modules.append(nn.Linear(probe.shape[1], num_classes))
    return nn.Sequential(*modules)


class ArchitectureClassifier(nn.Module):
    input_mean: torch.Tensor
    """Registered buffers (saved with the weights), declared for the type checker."""
    input_std: torch.Tensor

    """The builder's layers plus a class head; standardises tabular inputs itself."""

    def __init__(self, definition: dict[str, Any], labels: list[str]) -> None:
        super().__init__()
        self.definition, self.labels = definition, list(labels)
        self.layers = build_layers(definition, len(labels))
        shape = input_shape(definition)
        self.register_buffer("input_mean", torch.zeros(shape))
        self.register_buffer("input_std", torch.ones(shape))

    def set_standardisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.input_mean.copy_(mean)
        self.input_std.copy_(std.clamp_min(1e-6))

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor | None = None) -> ClassifierOutput:
        logits = self.layers((inputs - self.input_mean) / self.input_std)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(logits, loss)

    def save_pretrained(self, folder: Path, **_ignored: Any) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))
        (folder / DEFINITION_FILE).write_text(
            json.dumps(
                {
                    "format": "sparktrainer-architecture/1",
                    "definition": self.definition,
                    "labels": self.labels,
                },
                indent=2,
            )
        )


def load_pretrained(folder: str | Path) -> ArchitectureClassifier:
    folder = Path(folder)
    saved = json.loads((folder / DEFINITION_FILE).read_text())
    model = ArchitectureClassifier(saved["definition"], saved["labels"])
    model.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
    return model.eval()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

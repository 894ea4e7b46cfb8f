"""Networks from the builder's JSON definition (a sequential stack, version 1).

    {"input": {"kind": "tabular", "features": ["x1", "x2"]}
            | {"kind": "image", "channels": 3, "height": 32, "width": 32}
            | {"kind": "tokens", "vocab_size": 5000, "length": 64},
     "layers": [{"type": "Linear", "out_features": 64}, {"type": "ReLU"}, …]}

Input sizes are inferred layer by layer from the input shape, and a final
Linear head with one output per class is added, so a definition never states
a size twice. Saved as safetensors plus `architecture.json` (with the word
list of a tokens input); `load_pretrained` rebuilds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from engine import network
from engine.errors import ConfigError
from engine.model_card import ARCHITECTURE_DEFINITION, ARCHITECTURE_WEIGHTS

DEFINITION_FILE = ARCHITECTURE_DEFINITION
WEIGHTS_FILE = ARCHITECTURE_WEIGHTS


@dataclass
class ClassifierOutput:
    logits: torch.Tensor
    loss: torch.Tensor | None = None


def input_shape(definition: dict[str, Any]) -> tuple[int, ...]:
    try:
        return network.input_shape(definition)[0]
    except network.NetworkError as error:
        raise ConfigError(f"model.definition.{error}") from None


class Residual(nn.Module):
    """x + block(x): the block's output has the input's shape (engine/network.py checks)."""

    def __init__(self, block: nn.Sequential) -> None:
        super().__init__()
        self.block = block

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs + self.block(inputs)


class Recurrent(nn.Module):
    """An LSTM or GRU over (batch, length, features), giving its last or mean output."""

    def __init__(self, kind: str, input_size: int, arguments: dict[str, Any]) -> None:
        super().__init__()
        layer = nn.LSTM if kind == "LSTM" else nn.GRU
        self.rnn = layer(
            input_size,
            arguments["hidden_size"],
            num_layers=arguments["num_layers"],
            bidirectional=arguments["bidirectional"],
            batch_first=True,
        )
        self.mean = arguments["output"] == "mean"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs, _state = self.rnn(inputs)
        return outputs.mean(dim=1) if self.mean else outputs[:, -1]


def module_for(info: network.LayerInfo, vocab: int, children: list[nn.Module]) -> nn.Module:
    """The torch module of one analysed layer (a Residual's block of `children`)."""
    a, shape, kind = info.arguments, info.input, info.type
    if kind == "Linear":
        return nn.Linear(a["in_features"], a["out_features"], bias=a["bias"])
    if kind == "Conv2d":
        return nn.Conv2d(
            a["in_channels"], a["out_channels"], a["kernel_size"], a["stride"], a["padding"],
            bias=a["bias"],
        )  # fmt: skip
    if kind in ("MaxPool2d", "AvgPool2d"):
        pool = nn.MaxPool2d if kind == "MaxPool2d" else nn.AvgPool2d
        return pool(a["kernel_size"], a["stride"], a["padding"])
    if kind == "AdaptiveAvgPool2d":
        return nn.AdaptiveAvgPool2d(a["output_size"])
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        return (nn.BatchNorm1d if kind == "BatchNorm1d" else nn.BatchNorm2d)(shape[0])
    if kind == "LayerNorm":
        return nn.LayerNorm(shape[-1])
    if kind == "Dropout":
        return nn.Dropout(a["p"])
    if kind == "Embedding":
        return nn.Embedding(vocab, a["embedding_dim"])
    if kind in ("LSTM", "GRU"):
        return Recurrent(kind, shape[-1], a)
    if kind == "TransformerEncoderLayer":
        return nn.TransformerEncoderLayer(
            shape[-1], a["nhead"], a["dim_feedforward"], a["dropout"], batch_first=True
        )
    if kind == "Flatten":
        return nn.Flatten()
    if kind == "Residual":
        return Residual(nn.Sequential(*children))
    return {"ReLU": nn.ReLU, "GELU": nn.GELU, "SiLU": nn.SiLU, "Tanh": nn.Tanh}.get(
        kind, nn.Sigmoid
    )()


def build_layers(definition: dict[str, Any], num_classes: int) -> nn.Sequential:
    """The layers and a class head, from engine/network.py's analysis (the shapes the
    Builder shows are the ones built here)."""
    try:
        analysis = network.check(definition, num_classes)
    except network.NetworkError as error:
        raise ConfigError(f"model.definition.{error}") from None
    vocab = int(definition["input"].get("vocab_size", 0)) if analysis.tokens else 0
    built: dict[str, nn.Module] = {}
    # A block's layers come after it in the analysis: built from the end backwards, each
    # block finds its layers made.
    for info in reversed(analysis.layers):
        children = [built[i.path] for i in analysis.layers if network.is_child(i.path, info.path)]
        built[info.path] = module_for(info, vocab, children)
    modules = [built[i.path] for i in analysis.layers if "." not in i.path]
    assert analysis.output is not None and analysis.head_in is not None
    if len(analysis.output) > 1:
        modules.append(nn.Flatten())
    modules.append(nn.Linear(analysis.head_in, num_classes))
    return nn.Sequential(*modules)


class ArchitectureClassifier(nn.Module):
    input_mean: torch.Tensor
    """Registered buffers (saved with the weights), declared for the type checker."""
    input_std: torch.Tensor

    """The builder's layers plus a class head; standardises tabular inputs itself."""

    def __init__(
        self, definition: dict[str, Any], labels: list[str], vocabulary: list[str] | None = None
    ) -> None:
        super().__init__()
        self.definition, self.labels = definition, list(labels)
        self.vocabulary = list(vocabulary) if vocabulary is not None else None
        """A tokens input's id → word list (engine/token_vocabulary.py), saved with it."""
        self.layers = build_layers(definition, len(labels))
        shape = input_shape(definition)
        self.tokens = network.input_shape(definition)[1]
        self.register_buffer("input_mean", torch.zeros(shape))
        self.register_buffer("input_std", torch.ones(shape))

    def set_standardisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.input_mean.copy_(mean)
        self.input_std.copy_(std.clamp_min(1e-6))

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor | None = None) -> ClassifierOutput:
        if self.tokens:  # token ids go to the Embedding as they are
            logits = self.layers(inputs.long())
        else:
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
                    **({"vocabulary": self.vocabulary} if self.vocabulary is not None else {}),
                },
                indent=2,
            )
        )


def load_pretrained(folder: str | Path) -> ArchitectureClassifier:
    folder = Path(folder)
    saved = json.loads((folder / DEFINITION_FILE).read_text())
    model = ArchitectureClassifier(saved["definition"], saved["labels"], saved.get("vocabulary"))
    model.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
    return model.eval()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

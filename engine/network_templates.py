"""Starting points for the Builder: networks that build as they are, each for its input."""

from __future__ import annotations

from typing import Any


def _relu() -> dict[str, Any]:
    return {"type": "ReLU"}


TEMPLATES: dict[str, dict[str, Any]] = {
    "MLP": {
        "version": 2,
        "input": {"kind": "vector", "size": 16},
        "layers": [
            {"type": "Linear", "out_features": 64},
            _relu(),
            {"type": "Dropout", "p": 0.1},
            {"type": "Linear", "out_features": 64},
            _relu(),
        ],
        "head": {"num_classes": 3},
    },
    "Small CNN": {
        "version": 2,
        "input": {"kind": "image", "channels": 3, "height": 32, "width": 32},
        "layers": [
            {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
            {"type": "BatchNorm2d"},
            _relu(),
            {"type": "MaxPool2d", "kernel_size": 2},
            {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
            {"type": "BatchNorm2d"},
            _relu(),
            {"type": "MaxPool2d", "kernel_size": 2},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 64},
            _relu(),
        ],
        "head": {"num_classes": 10},
    },
    "ResNet-style": {
        "version": 2,
        "input": {"kind": "image", "channels": 3, "height": 32, "width": 32},
        "layers": [
            {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
            {"type": "BatchNorm2d"},
            _relu(),
            *[
                {
                    "type": "Residual",
                    "layers": [
                        {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
                        {"type": "BatchNorm2d"},
                        _relu(),
                        {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
                        {"type": "BatchNorm2d"},
                    ],
                }
                for _ in range(2)
            ],
            _relu(),
            {"type": "AdaptiveAvgPool2d", "output_size": 1},
            {"type": "Flatten"},
        ],
        "head": {"num_classes": 10},
    },
    "Tiny Transformer": {
        "version": 2,
        "input": {"kind": "tokens", "vocab_size": 1000, "length": 64},
        "layers": [
            {"type": "Embedding", "embedding_dim": 64},
            {"type": "TransformerEncoderLayer", "nhead": 4, "dim_feedforward": 128},
            {"type": "TransformerEncoderLayer", "nhead": 4, "dim_feedforward": 128},
            {"type": "LayerNorm"},
            {"type": "GRU", "hidden_size": 64, "output": "mean"},
        ],
        "head": {"num_classes": 2},
    },
}

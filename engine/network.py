"""The Builder's network definition, and what it computes without torch: every layer's
output shape, its parameters and FLOPs, and the errors a person can fix, with the fix.

    {"version": 2,
     "input": {"kind": "image", "channels": 3, "height": 32, "width": 32}
            | {"kind": "tabular", "features": ["x1", "x2"]} | {"kind": "vector", "size": 8}
            | {"kind": "tokens", "vocab_size": 1000, "length": 64},
     "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3}, {"type": "ReLU"},
                {"type": "Residual", "layers": [...]}, …],
     "head": {"num_classes": 10}}

A definition without "version" is version 1 (no head: the classes come from the data);
it still loads. Shapes leave out the batch. The engine builds the same network in torch
from this module's answers (engine/architecture.py), and a property test checks that a
real forward pass agrees with them for random valid networks. Imports nothing heavy: the
GUI uses it after every edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

VERSION = 2
Shape = tuple[int, ...]

# type → {argument: (default, smallest allowed)}; None: required.
ARGUMENTS: dict[str, dict[str, tuple[Any, float]]] = {
    "Linear": {"out_features": (None, 1), "bias": (True, 0)},
    "Conv2d": {
        "out_channels": (None, 1),
        "kernel_size": (3, 1),
        "stride": (1, 1),
        "padding": (0, 0),
        "bias": (True, 0),
    },
    "BatchNorm1d": {},
    "BatchNorm2d": {},
    "LayerNorm": {},
    "ReLU": {},
    "GELU": {},
    "SiLU": {},
    "Tanh": {},
    "Sigmoid": {},
    "Dropout": {"p": (0.5, 0)},
    "MaxPool2d": {"kernel_size": (2, 1), "stride": (None, 1), "padding": (0, 0)},
    "AvgPool2d": {"kernel_size": (2, 1), "stride": (None, 1), "padding": (0, 0)},
    "AdaptiveAvgPool2d": {"output_size": (1, 1)},
    "Flatten": {},
    "Embedding": {"embedding_dim": (None, 1)},
    "LSTM": {
        "hidden_size": (None, 1),
        "num_layers": (1, 1),
        "bidirectional": (False, 0),
        "output": ("last", 0),
    },
    "GRU": {
        "hidden_size": (None, 1),
        "num_layers": (1, 1),
        "bidirectional": (False, 0),
        "output": ("last", 0),
    },
    "TransformerEncoderLayer": {
        "nhead": (None, 1),
        "dim_feedforward": (256, 1),
        "dropout": (0.1, 0),
    },
    "Residual": {"layers": ([], 0)},
}
INFERRED = {"Linear": "in_features", "Conv2d": "in_channels"}
"""Sizes taken from the previous layer; a definition may state them, and is told when
they disagree."""
ELEMENTWISE = {"ReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "Dropout"}
LAYER_TYPES = tuple(ARGUMENTS)


class NetworkError(ValueError):
    """A definition that cannot be built, with where (`path`) and a fix when there is one."""

    def __init__(self, path: str, message: str, fix: dict[str, Any] | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message, self.fix = path, message, fix


@dataclass
class LayerInfo:
    path: str
    """"layers[3]", "layers[2].layers[0]"."""
    type: str
    arguments: dict[str, Any]
    """Every argument, defaults and inferred sizes filled in: what torch is given."""
    input: Shape
    output: Shape | None
    params: int = 0
    flops: int = 0
    """Multiply-adds counted twice, per sample."""
    error: NetworkError | None = None


@dataclass
class Analysis:
    input: Shape
    tokens: bool
    layers: list[LayerInfo] = field(default_factory=list)
    output: Shape | None = None
    head_in: int | None = None
    num_classes: int | None = None

    @property
    def errors(self) -> list[NetworkError]:
        return [info.error for info in self.layers if info.error is not None]

    @property
    def params(self) -> int:
        head = (self.head_in + 1) * self.num_classes if self.head_in and self.num_classes else 0
        return sum(i.params for i in self.layers if i.type != "Residual") + head

    @property
    def flops(self) -> int:
        head = 2 * self.head_in * self.num_classes if self.head_in and self.num_classes else 0
        return sum(i.flops for i in self.layers if i.type != "Residual") + head

    def training_memory(self, batch_size: int) -> int:
        """Bytes to train in float32 with Adam: weights, gradients and two moments, plus
        every layer's output kept for the backward pass."""
        activations = sum(math.prod(i.output) for i in self.layers if i.output)
        return 16 * self.params + 4 * batch_size * (activations + math.prod(self.input))


def input_shape(definition: dict[str, Any]) -> tuple[Shape, bool]:
    """(shape, whether it is token ids) of a definition's input."""
    spec = definition.get("input")
    kind = spec.get("kind") if isinstance(spec, dict) else None
    try:
        if kind == "tabular":
            features = spec.get("features")  # type: ignore[union-attr]
            if not isinstance(features, list) or not features:
                raise NetworkError("input.features", "list the feature columns")
            return (len(features),), False
        if kind == "vector":
            return (_positive(spec["size"], "input.size"),), False  # type: ignore[index]
        if kind == "image":
            return tuple(
                _positive(spec[k], f"input.{k}")  # type: ignore[index]
                for k in ("channels", "height", "width")
            ), False
        if kind == "tokens":
            # Ids 0 and 1 are padding and an unknown word (engine/token_vocabulary.py).
            _positive(spec["vocab_size"], "input.vocab_size", 3)  # type: ignore[index]
            return (_positive(spec["length"], "input.length"),), True  # type: ignore[index]
    except KeyError as missing:
        raise NetworkError("input", f"a {kind} input needs {missing.args[0]}") from None
    raise NetworkError("input", 'kind must be "image", "tabular", "vector" or "tokens"')


def _positive(value: Any, path: str, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise NetworkError(path, f"must be a whole number of at least {least}, not {value!r}")
    return value


def analyse(definition: dict[str, Any], num_classes: int | None = None) -> Analysis:
    """Every layer's shapes, parameters and FLOPs, and its error if it has one (the
    layers after an error are not analysed: their input is unknown)."""
    shape, tokens = input_shape(definition)
    head = definition.get("head")
    stated = head.get("num_classes") if isinstance(head, dict) else None
    classes = num_classes if num_classes is not None else stated
    analysis = Analysis(shape, tokens, num_classes=classes)
    vocab = int(definition["input"].get("vocab_size", 0)) if tokens else 0
    layers = definition.get("layers")
    if not isinstance(layers, list):
        raise NetworkError("layers", "must be a list of layers")
    out = _walk(layers, "layers", shape, tokens, vocab, analysis.layers)
    analysis.output = out
    if out is not None:
        analysis.head_in = math.prod(out)
    return analysis


def check(definition: dict[str, Any], num_classes: int | None = None) -> Analysis:
    """The analysis of a definition that builds; NetworkError (the first one) otherwise."""
    analysis = analyse(definition, num_classes)
    if analysis.errors:
        raise analysis.errors[0]
    if analysis.num_classes is None or analysis.num_classes < 1:
        raise NetworkError("head.num_classes", "say how many classes the head gives")
    return analysis


def _walk(
    layers: list[Any],
    prefix: str,
    shape: Shape,
    tokens: bool,
    vocab: int,
    out: list[LayerInfo],
) -> Shape | None:
    for index, layer in enumerate(layers):
        path = f"{prefix}[{index}]"
        info = _layer(layer, path, shape, tokens, vocab, out)
        if info.error is not None or info.output is None:
            return None
        shape, tokens = info.output, False
    return shape


def _layer(
    layer: Any, path: str, shape: Shape, tokens: bool, vocab: int, out: list[LayerInfo]
) -> LayerInfo:
    kind = layer.get("type") if isinstance(layer, dict) else None
    info = LayerInfo(path, str(kind), {}, shape, None)
    out.append(info)
    try:
        if kind not in ARGUMENTS:
            raise NetworkError(f"{path}.type", f"{kind!r} is not one of {', '.join(ARGUMENTS)}")
        info.arguments = _arguments(layer, path, kind)
        if tokens and kind != "Embedding":
            raise NetworkError(
                path,
                f"{kind} cannot read token ids: put an Embedding first",
                {"insert": {"type": "Embedding", "embedding_dim": 64}, "before": path},
            )
        info.output = _shape(info, kind, shape, vocab, out)
    except NetworkError as error:
        info.error = error
    return info


def _arguments(layer: dict[str, Any], path: str, kind: str) -> dict[str, Any]:
    allowed = ARGUMENTS[kind]
    inferred = INFERRED.get(kind)
    unknown = sorted(set(layer) - set(allowed) - {"type", inferred})
    if unknown:
        raise NetworkError(f"{path}.{unknown[0]}", f"not an argument of {kind}")
    values: dict[str, Any] = {}
    for name, (default, smallest) in allowed.items():
        value = layer.get(name, default)
        if value is None and default is None and name not in ("stride",):
            raise NetworkError(f"{path}.{name}", f"{kind} needs {name}")
        if isinstance(default, bool) or name == "bias":
            if not isinstance(value, bool):
                raise NetworkError(f"{path}.{name}", "must be true or false")
        elif name == "output":
            if value not in ("last", "mean"):
                raise NetworkError(f"{path}.output", 'must be "last" or "mean"')
        elif name == "layers":
            if not isinstance(value, list):
                raise NetworkError(f"{path}.layers", "must be a list of layers")
        elif value is not None:
            number = float if name in ("p", "dropout") else int
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise NetworkError(f"{path}.{name}", f"must be a number, not {value!r}")
            if number is int and int(value) != value:
                raise NetworkError(f"{path}.{name}", f"must be a whole number, not {value!r}")
            if value < smallest or (name in ("p", "dropout") and value >= 1):
                limit = "below 1" if name in ("p", "dropout") else f"at least {smallest:g}"
                raise NetworkError(f"{path}.{name}", f"must be {limit}, not {value!r}")
            value = number(value)
        values[name] = value
    if inferred and inferred in layer:
        values[inferred] = layer[inferred]
    return values


def _shape(info: LayerInfo, kind: str, shape: Shape, vocab: int, out: list[LayerInfo]) -> Shape:
    a, path = info.arguments, info.path
    size = math.prod(shape)
    if kind in ELEMENTWISE:
        info.flops = size
        return shape
    if kind == "Flatten":
        return (size,)
    if kind == "Linear":
        features = shape[-1]
        if len(shape) == 3:
            raise NetworkError(
                path,
                f"Linear takes features; the previous layer gives an image {_shown(shape)}",
                {"insert": {"type": "Flatten"}, "before": path},
            )
        _stated(a, "in_features", features, path)
        a["in_features"] = features
        rows = size // features
        info.params = features * a["out_features"] + (a["out_features"] if a["bias"] else 0)
        info.flops = 2 * features * a["out_features"] * rows
        return (*shape[:-1], a["out_features"])
    if kind in ("Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d"):
        if len(shape) != 3:
            raise NetworkError(path, f"{kind} takes an image (C×H×W), not {_shown(shape)}")
        channels, height, width = shape
    if kind == "BatchNorm2d":
        info.params, info.flops = 2 * channels, 2 * size
        return shape
    if kind == "AdaptiveAvgPool2d":
        side = a["output_size"]
        info.flops = size
        return (channels, side, side)
    if kind in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        k, p = a["kernel_size"], a["padding"]
        s = a["stride"] if a["stride"] is not None else (1 if kind == "Conv2d" else k)
        a["stride"] = s
        if kind != "Conv2d" and p > k / 2:
            raise NetworkError(
                f"{path}.padding",
                f"a pool's padding must be at most half its kernel ({k / 2:g})",
                {"set": {"padding": k // 2}, "at": path},
            )
        h_out, w_out = (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1
        if h_out < 1 or w_out < 1:
            raise NetworkError(
                path,
                f"a {k}×{k} window does not fit the {height}×{width} input",
                {"set": {"kernel_size": max(1, min(height, width) + 2 * p)}, "at": path},
            )
        if kind != "Conv2d":
            info.flops = channels * h_out * w_out * k * k
            return (channels, h_out, w_out)
        _stated(a, "in_channels", channels, path)
        a["in_channels"] = channels
        c_out = a["out_channels"]
        info.params = channels * c_out * k * k + (c_out if a["bias"] else 0)
        info.flops = 2 * channels * k * k * c_out * h_out * w_out
        return (c_out, h_out, w_out)
    if kind == "BatchNorm1d":
        if len(shape) not in (1, 2):
            raise NetworkError(path, f"BatchNorm1d takes features or C×L, not {_shown(shape)}")
        info.params, info.flops = 2 * shape[0], 2 * size
        return shape
    if kind == "LayerNorm":
        info.params, info.flops = 2 * shape[-1], 5 * size
        return shape
    if kind == "Embedding":
        if len(shape) != 1 or not vocab:
            raise NetworkError(
                path, "an Embedding reads token ids: only right after a tokens input"
            )
        info.params = vocab * a["embedding_dim"]
        return (shape[0], a["embedding_dim"])
    if kind in ("LSTM", "GRU"):
        if len(shape) != 2:
            raise NetworkError(
                path,
                f"{kind} reads a sequence (length × features), not {_shown(shape)}",
                {"insert": {"type": "Embedding", "embedding_dim": 64}, "before": path}
                if len(shape) == 1
                else None,
            )
        length, features = shape
        gates, hidden = (4 if kind == "LSTM" else 3), a["hidden_size"]
        directions = 2 if a["bidirectional"] else 1
        params = 0
        width = features
        for _ in range(a["num_layers"]):
            params += directions * gates * (width * hidden + hidden * hidden + 2 * hidden)
            width = hidden * directions
        info.params = params
        info.flops = 2 * length * params
        return (hidden * directions,)
    if kind == "TransformerEncoderLayer":
        if len(shape) != 2:
            raise NetworkError(
                path, f"a Transformer layer reads length × features, not {_shown(shape)}"
            )
        length, model = shape
        heads, ff = a["nhead"], a["dim_feedforward"]
        if model % heads:
            divisors = [d for d in range(heads, 0, -1) if model % d == 0]
            raise NetworkError(
                f"{path}.nhead",
                f"{model} features do not split into {heads} heads",
                {"set": {"nhead": divisors[0]}, "at": path},
            )
        info.params = 4 * model * model + 4 * model + 2 * model * ff + ff + model + 4 * model
        info.flops = 2 * length * (4 * model * model + 2 * model * ff) + 4 * length * length * model
        return shape
    # Residual: the block's output is added to its input, so the shapes must agree.
    inner = a["layers"]
    if not inner:
        raise NetworkError(f"{path}.layers", "a Residual block needs at least one layer")
    end = _walk(inner, f"{path}.layers", shape, False, vocab, out)
    block = [i for i in out if i.path.startswith(f"{path}.layers[")]
    if end is None:
        raise NetworkError(path, "a layer in the block cannot be built (see it)")
    info.params = sum(i.params for i in block if i.type != "Residual")
    info.flops = sum(i.flops for i in block if i.type != "Residual") + size
    if end != shape:
        raise NetworkError(
            path,
            f"the block gives {_shown(end)} but its input is {_shown(shape)}: they are added",
        )
    return shape


def is_child(path: str, parent: str) -> bool:
    """Whether the layer at `path` is a direct layer of the block at `parent`."""
    rest = path.removeprefix(f"{parent}.layers[")
    return rest != path and rest.endswith("]") and "." not in rest


def _stated(arguments: dict[str, Any], name: str, actual: int, path: str) -> None:
    stated = arguments.get(name)
    if stated is not None and stated != actual:
        noun = "input features" if name == "in_features" else "input channels"
        raise NetworkError(
            f"{path}.{name}",
            f"expects {stated} {noun}, the previous layer gives {actual}",
            {"set": {name: actual}, "at": path},
        )


def _shown(shape: Shape) -> str:
    return "×".join(str(s) for s in shape)


def upgrade(definition: dict[str, Any], num_classes: int | None = None) -> dict[str, Any]:
    """A version 1 definition as version 2 (the same layers; the head from the data)."""
    if definition.get("version", 1) >= VERSION:
        return definition
    upgraded = {**definition, "version": VERSION}
    if num_classes is not None:
        upgraded["head"] = {"num_classes": num_classes}
    return upgraded


def apply_fix(definition: dict[str, Any], fix: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of `definition` with an error's fix made: a layer inserted before another
    ({"insert", "before"}) or arguments set on one ({"set", "at"})."""
    import copy

    fixed = copy.deepcopy(definition)
    if not fix:
        return fixed
    where = fix.get("before") or fix.get("at")
    layers, index = locate(fixed, str(where))
    if "insert" in fix:
        layers.insert(index, copy.deepcopy(fix["insert"]))
    else:
        layers[index].update(fix["set"])
    return fixed


def locate(definition: dict[str, Any], path: str) -> tuple[list[Any], int]:
    """The list that holds the layer at `path` ("layers[2].layers[0]"), and its index."""
    layers: list[Any] = definition["layers"]
    parts = path.removeprefix("layers[").rstrip("]").split("].layers[")
    for part in parts[:-1]:
        layers = layers[int(part)]["layers"]
    return layers, int(parts[-1])

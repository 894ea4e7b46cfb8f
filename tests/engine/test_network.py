"""The Builder's shapes, parameters and errors (engine/network.py, no torch) against real
torch: every template, and random valid networks (hypothesis), give the shapes and the
parameter count a forward pass and the built module give; invalid networks give the
documented error and fix; the exported module file builds the same network alone."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import network
from engine.architecture import ArchitectureClassifier
from engine.network_export import export_source
from engine.network_templates import TEMPLATES


def _module_at(model: ArchitectureClassifier, path: str) -> torch.nn.Module:
    """The module of an analysed layer: layers[3] → layers[3]; layers[2].layers[0] →
    layers[2].block[0]."""
    parts = path.replace("]", "").split(".layers[")
    module: torch.nn.Module = model.layers[int(parts[0].removeprefix("layers["))]
    for index in parts[1:]:
        module = module.block[int(index)]  # type: ignore[index]
    return module


def _agrees(definition: dict) -> None:
    analysis = network.check(definition)
    model = ArchitectureClassifier(definition, [str(i) for i in range(analysis.num_classes)])
    model.eval()
    seen: dict[str, tuple[int, ...]] = {}
    for info in analysis.layers:
        module = _module_at(model, info.path)
        module.register_forward_hook(
            lambda _m, _i, out, path=info.path: seen.__setitem__(path, tuple(out.shape[1:]))
        )
    if analysis.tokens:
        batch = torch.randint(0, definition["input"]["vocab_size"], (2, *analysis.input))
    else:
        batch = torch.randn((2, *analysis.input))
    with torch.no_grad():
        logits = model(batch).logits
    assert tuple(logits.shape) == (2, analysis.num_classes)
    assert {i.path: i.output for i in analysis.layers} == seen
    assert analysis.params == sum(p.numel() for p in model.layers.parameters())


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_builds_with_the_shapes_and_parameters_shown(name: str) -> None:
    _agrees(TEMPLATES[name])
    analysis = network.check(TEMPLATES[name])
    assert analysis.flops > 0 and analysis.training_memory(32) > 16 * analysis.params


def _layer_for(draw: st.DrawFn, shape: tuple[int, ...], tokens: bool) -> dict:
    """A layer that suits what the network gives so far (an image, a sequence, features)."""
    small = st.integers(1, 12)
    activation = st.sampled_from([{"type": t} for t in ("ReLU", "GELU", "SiLU", "Tanh")])
    dropout = st.builds(lambda p: {"type": "Dropout", "p": p}, st.floats(0, 0.9))
    if tokens:
        return draw(st.builds(lambda d: {"type": "Embedding", "embedding_dim": d}, small))
    if len(shape) == 3:
        return draw(st.one_of(
            st.builds(lambda o, k, s, p, b: {"type": "Conv2d", "out_channels": o,
                                             "kernel_size": k, "stride": s, "padding": p,
                                             "bias": b},
                      small, st.integers(1, 3), st.integers(1, 2), st.integers(0, 1),
                      st.booleans()),
            st.builds(lambda t, k: {"type": t, "kernel_size": k},
                      st.sampled_from(["MaxPool2d", "AvgPool2d"]), st.integers(1, 3)),
            st.builds(lambda o: {"type": "AdaptiveAvgPool2d", "output_size": o},
                      st.integers(1, 3)),
            st.just({"type": "BatchNorm2d"}), st.just({"type": "Flatten"}), activation,
            st.builds(lambda c: {"type": "Residual", "layers": [
                {"type": "Conv2d", "out_channels": c, "kernel_size": 3, "padding": 1},
                {"type": "BatchNorm2d"}, {"type": "ReLU"}]}, st.just(shape[0])),
        ))  # fmt: skip
    if len(shape) == 2:
        divisors = [h for h in range(1, 5) if shape[1] % h == 0]
        return draw(st.one_of(
            st.builds(lambda h, f: {"type": "TransformerEncoderLayer", "nhead": h,
                                    "dim_feedforward": f, "dropout": 0.0},
                      st.sampled_from(divisors), small),
            st.builds(lambda t, h, n, b, o: {"type": t, "hidden_size": h, "num_layers": n,
                                             "bidirectional": b, "output": o},
                      st.sampled_from(["LSTM", "GRU"]), small, st.integers(1, 2),
                      st.booleans(), st.sampled_from(["last", "mean"])),
            st.builds(lambda o: {"type": "Linear", "out_features": o}, small),
            st.just({"type": "LayerNorm"}), st.just({"type": "BatchNorm1d"}),
            st.just({"type": "Flatten"}), activation, dropout,
        ))  # fmt: skip
    return draw(st.one_of(
        st.builds(lambda o, b: {"type": "Linear", "out_features": o, "bias": b},
                  small, st.booleans()),
        st.just({"type": "BatchNorm1d"}), st.just({"type": "LayerNorm"}), activation, dropout,
        st.builds(lambda f: {"type": "Residual", "layers": [
            {"type": "Linear", "out_features": f}, {"type": "LayerNorm"}, {"type": "Tanh"}]},
            st.just(shape[0])),
    ))  # fmt: skip


@st.composite
def networks(draw: st.DrawFn) -> dict:
    """Valid networks of every input kind, grown a layer at a time from the layers that
    suit the shape so far; a layer the analysis refuses (a window too big) is not kept."""
    kind = draw(st.sampled_from(["image", "vector", "tokens"]))
    if kind == "image":
        spec = {
            "kind": "image",
            "channels": draw(st.integers(1, 4)),
            "height": draw(st.integers(4, 20)),
            "width": draw(st.integers(4, 20)),
        }
    elif kind == "vector":
        spec = {"kind": "vector", "size": draw(st.integers(1, 24))}
    else:
        spec = {"kind": "tokens", "vocab_size": draw(st.integers(3, 50)),
                "length": draw(st.integers(1, 12))}  # fmt: skip
    definition = {"version": 2, "input": spec, "layers": [], "head": {"num_classes": 3}}
    analysis = network.analyse(definition)
    shape, tokens = analysis.input, analysis.tokens
    for _ in range(draw(st.integers(1, 8))):
        trial = copy.deepcopy(definition)
        trial["layers"].append(_layer_for(draw, shape, tokens))
        checked = network.analyse(trial)
        if not checked.errors and checked.output is not None:
            definition, shape, tokens = trial, checked.output, False
    if not definition["layers"]:
        definition["layers"] = [_layer_for(draw, shape, tokens)] if tokens else [{"type": "ReLU"}]
    return definition


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_valid_networks_agree_with_torch(definition: dict) -> None:
    _agrees(definition)


def _error(layers: list, **input_spec) -> network.NetworkError:
    spec = input_spec or {"kind": "image", "channels": 3, "height": 8, "width": 8}
    analysis = network.analyse(
        {"version": 2, "input": spec, "layers": layers, "head": {"num_classes": 2}}
    )
    assert analysis.errors, "this network should not build"
    return analysis.errors[0]


def test_invalid_networks_say_what_is_wrong_and_how_to_fix_it() -> None:
    vector = {"kind": "vector", "size": 2048}
    error = _error([{"type": "Linear", "in_features": 4096, "out_features": 10}], **vector)
    assert error.path == "layers[0].in_features"
    assert error.message == "expects 4096 input features, the previous layer gives 2048"
    assert error.fix == {"set": {"in_features": 2048}, "at": "layers[0]"}

    error = _error([{"type": "Conv2d", "out_channels": 4}, {"type": "Linear", "out_features": 3}])
    assert "Linear takes features; the previous layer gives an image 4×6×6" in error.message
    assert error.fix == {"insert": {"type": "Flatten"}, "before": "layers[1]"}

    error = _error([{"type": "MaxPool2d", "kernel_size": 9}])
    assert error.message == "a 9×9 window does not fit the 8×8 input"
    assert error.fix == {"set": {"kernel_size": 8}, "at": "layers[0]"}

    error = _error(
        [{"type": "Embedding", "embedding_dim": 6},
         {"type": "TransformerEncoderLayer", "nhead": 4}],
        kind="tokens", vocab_size=10, length=5,
    )  # fmt: skip
    assert error.message == "6 features do not split into 4 heads"
    assert error.fix == {"set": {"nhead": 3}, "at": "layers[1]"}

    error = _error([{"type": "LSTM", "hidden_size": 4}], kind="tokens", vocab_size=10, length=5)
    assert "cannot read token ids: put an Embedding first" in error.message
    assert error.fix["insert"]["type"] == "Embedding"

    error = _error(
        [{"type": "Residual", "layers": [{"type": "Conv2d", "out_channels": 5, "padding": 1}]}]
    )
    assert error.message == "the block gives 5×8×8 but its input is 3×8×8: they are added"

    error = _error([{"type": "Conv2d", "out_channels": 0}])
    assert error.path == "layers[0].out_channels" and "at least 1" in error.message
    error = _error([{"type": "Dense"}])
    assert error.path == "layers[0].type" and "'Dense' is not one of" in error.message


def test_a_fix_applied_makes_the_network_build() -> None:
    definition = {"version": 2, "input": {"kind": "image", "channels": 3, "height": 8, "width": 8},
                  "layers": [{"type": "Conv2d", "out_channels": 4},
                             {"type": "Linear", "out_features": 3}],
                  "head": {"num_classes": 2}}  # fmt: skip
    fixed = network.apply_fix(definition, network.analyse(definition).errors[0].fix)
    assert [layer["type"] for layer in fixed["layers"]] == ["Conv2d", "Flatten", "Linear"]
    assert not network.analyse(fixed).errors and definition["layers"][1]["type"] == "Linear"


@pytest.mark.slow  # a fresh Python process
@pytest.mark.parametrize("name", ["ResNet-style", "Tiny Transformer"])
def test_the_exported_module_builds_alone_with_the_same_parameters(tmp_path, name: str) -> None:
    definition = TEMPLATES[name]
    target = tmp_path / "my_network.py"
    target.write_text(export_source(definition, name))
    done = subprocess.run(
        [sys.executable, str(target)], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    analysis = network.check(definition)
    assert done.stdout.split()[:3] == ["(2,", f"{analysis.num_classes})", str(analysis.params)]
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import my_network, torch;"
        "print(json.dumps(sorted(my_network.Network().state_dict())))"
    )
    names = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    model = ArchitectureClassifier(definition, [str(i) for i in range(analysis.num_classes)])
    ours = sorted(k for k in model.state_dict() if not k.startswith("input_"))
    assert json.loads(names) == ours  # trained weights load into the exported module


@pytest.mark.slow  # the command line, in processes of its own
def test_the_command_line_checks_and_exports_a_definition(tmp_path) -> None:
    from tests.conftest import run_main

    template = tmp_path / "cnn.json"
    assert run_main("builder", "template", "small cnn", str(template)).returncode == 0
    checked = run_main("builder", "check", str(template))
    assert checked.returncode == 0, checked.stderr
    analysis = network.check(json.loads(template.read_text()))
    assert f"{analysis.params:,} parameters" in checked.stdout and "32×8×8" in checked.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({
        "version": 2, "input": {"kind": "vector", "size": 2048}, "head": {"num_classes": 2},
        "layers": [{"type": "Linear", "in_features": 4096, "out_features": 10}],
    }))  # fmt: skip
    refused = run_main("builder", "check", str(bad))
    assert refused.returncode == 1
    assert "layers[0].in_features: expects 4096 input features, the previous layer gives 2048" in (
        refused.stderr
    )
    assert '"in_features": 2048' in refused.stderr  # the fix
    out = tmp_path / "cnn_net.py"
    assert run_main("builder", "export", str(template), str(out)).returncode == 0
    assert run_main("builder", "export", str(template), str(out)).returncode == 1  # not over it
    done = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, check=True)
    assert done.stdout.startswith(f"(2, 10) {analysis.params} parameters")

"""Image classification and builder networks: training, resume, bad images, reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.architecture import load_pretrained
from engine.network_templates import TEMPLATES
from engine.token_vocabulary import Encoder
from tests.engine.helpers import (
    CNN,
    MLP,
    classification_rows,
    image_folder,
    losses,
    make_spec,
    run_engine,
    spec_file,
    tabular_rows,
    write_jsonl,
)

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


def _falls(events: list[dict]) -> None:
    curve = list(losses(events).values())
    first, last = sum(curve[:3]) / 3, sum(curve[-3:]) / 3
    assert last < 0.8 * first, f"loss did not fall: {first:.3f} → {last:.3f}"


@pytest.mark.parametrize("method", ["full", "lora"])
def test_image_classification_trains(tmp_path: Path, method: str) -> None:
    folder = image_folder(tmp_path / "images")
    spec = make_spec(
        tmp_path,
        "image_classification",
        folder,
        model="tiny-vit",
        method=method,
        max_steps=20,
        learning_rate=3e-3 if method == "full" else 1e-2,
        eval_every=10,
    )
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    _falls(events)
    sample = next(e for e in events if e["event"] == "sample")["rows"][0]
    assert sample["image"].endswith(".png") and sample["label"] in {"red", "blue"}
    assert sample["pixel_shape"] == [3, 32, 32]
    output = Path(spec["output_dir"])
    assert (output / "preprocessor_config.json").exists()


def test_image_manifest_with_relative_paths(tmp_path: Path) -> None:
    folder = image_folder(tmp_path / "images", per_class=6)
    rows = [
        {"file": str(p.relative_to(tmp_path)), "colour": p.parent.name}
        for p in sorted(folder.rglob("*.png"))
    ]
    manifest = write_jsonl(tmp_path / "manifest.jsonl", rows)
    spec = make_spec(tmp_path, "image_classification", manifest, model="tiny-vit", max_steps=2)
    spec["dataset"].update(image_column="file", label_column="colour", augment=False)
    code, _events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (lambda p: p.write_bytes(b""), "the image file is empty"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), "unreadable image"),
    ],
)
def test_bad_images_fail_naming_the_file(tmp_path: Path, damage, needle) -> None:
    folder = image_folder(tmp_path / "images", per_class=4)
    broken = folder / "red" / "2.png"
    damage(broken)
    spec = make_spec(tmp_path, "image_classification", folder, model="tiny-vit", max_steps=2)
    code, events, _ = run_engine(spec_file(tmp_path, spec))
    assert code == 1
    assert events[-1]["kind"] == "data"
    assert str(broken) in events[-1]["error"] and needle in events[-1]["error"]


def test_builder_network_on_tabular_data_trains_and_reloads(tmp_path: Path) -> None:
    import torch

    data = write_jsonl(tmp_path / "tab.jsonl", tabular_rows())
    spec = make_spec(
        tmp_path,
        "custom_architecture",
        data,
        model="unused",
        max_steps=60,
        batch_size=16,
        learning_rate=1e-2,
        eval_every=30,
    )
    spec["model"] = {"source": "architecture", "definition": MLP}
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    _falls(events)
    final = events[-1]["final"]
    assert final["accuracy"] >= 0.8

    model = load_pretrained(spec["output_dir"])
    assert model.labels == ["in", "out"]
    with torch.no_grad():
        centre, corner = model(torch.tensor([[0.0, 0.0], [95.0, 0.95]])).logits.argmax(-1)
    assert (model.labels[centre], model.labels[corner]) == ("in", "out")


def test_a_version_2_network_with_a_residual_block_trains(tmp_path: Path) -> None:
    """The Builder's definitions (version 2: a head, nested blocks) train as version 1 did;
    the head follows the data's classes."""
    data = write_jsonl(tmp_path / "tab.jsonl", tabular_rows())
    spec = make_spec(
        tmp_path, "custom_architecture", data, model="unused", max_steps=60, batch_size=16,
        learning_rate=1e-2, eval_every=30,
    )  # fmt: skip
    definition = {
        "version": 2,
        "input": MLP["input"],
        "layers": [
            {"type": "Linear", "out_features": 32},
            {"type": "ReLU"},
            {"type": "Residual", "layers": [
                {"type": "Linear", "out_features": 32}, {"type": "LayerNorm"}, {"type": "Tanh"},
            ]},
        ],
        "head": {"num_classes": 2},
    }  # fmt: skip
    spec["model"] = {"source": "architecture", "definition": definition}
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    _falls(events)
    assert events[-1]["final"]["accuracy"] >= 0.8


def test_builder_cnn_on_images_trains(tmp_path: Path) -> None:
    folder = image_folder(tmp_path / "images")
    spec = make_spec(
        tmp_path, "custom_architecture", folder, model="unused", max_steps=20, learning_rate=1e-2
    )
    spec["model"] = {"source": "architecture", "definition": CNN}
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    _falls(events)


def test_builder_definition_errors_name_the_layer(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tab.jsonl", tabular_rows(20))
    definition = json.loads(json.dumps(MLP))
    definition["layers"][1] = {"type": "Conv2d", "out_channels": 4, "kernel_size": 3}
    spec = make_spec(tmp_path, "custom_architecture", data, model="unused", max_steps=2)
    spec["model"] = {"source": "architecture", "definition": definition}
    code, events, _ = run_engine(spec_file(tmp_path, spec))
    assert code == 1
    assert events[-1]["kind"] == "config"
    assert "model.definition.layers[1]" in events[-1]["error"]


def test_builder_resume_is_exact(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tab.jsonl", tabular_rows(64))
    spec = make_spec(
        tmp_path, "custom_architecture", data, model="unused", max_steps=10, checkpoint_every=4
    )
    spec["model"] = {
        "source": "architecture",
        "definition": {**MLP, "layers": [*MLP["layers"], {"type": "Dropout", "p": 0.2}]},
    }
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    reference = losses(events)
    spec.update(
        job_id="again",
        output_dir=str(tmp_path / "again" / "output"),
        resume_from=str(tmp_path / "run" / "checkpoints" / "checkpoint-8"),
    )
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    assert losses(events) == {9: reference[9], 10: reference[10]}


def test_the_tiny_transformer_template_trains_on_text_and_reloads(tmp_path: Path) -> None:
    """A tokens input reads a text column: its words are counted from the training rows,
    the word list is saved with the weights, and the reloaded model reads new text."""
    import torch

    data = write_jsonl(tmp_path / "reviews.jsonl", classification_rows(96))
    spec = make_spec(
        tmp_path, "custom_architecture", data, model="unused", max_steps=40, batch_size=16,
        learning_rate=3e-3, eval_every=20,
    )  # fmt: skip
    definition = json.loads(json.dumps(TEMPLATES["Tiny Transformer"]))
    definition["input"] = {"kind": "tokens", "vocab_size": 64, "length": 8}
    spec["model"] = {"source": "architecture", "definition": definition}
    spec["dataset"].update(text_column="text", label_column="label")
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    _falls(events)
    assert events[-1]["final"]["accuracy"] == 1.0

    model = load_pretrained(spec["output_dir"])
    assert model.vocabulary is not None and model.vocabulary[:2] == ["<pad>", "<unk>"]
    assert len(model.vocabulary) <= 64 and "gloomy" in model.vocabulary
    encoder = Encoder(model.vocabulary, 8)
    texts = ["Sunny, bright and happy!", "rainy dark gloomy day"]
    with torch.no_grad():
        ids = torch.tensor([encoder.encode(t) for t in texts])
        predicted = model(ids).logits.argmax(-1).tolist()
    assert [model.labels[i] for i in predicted] == ["pos", "neg"]


def test_a_tokens_network_without_its_text_column_names_the_field(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "reviews.jsonl", classification_rows(16))
    spec = make_spec(tmp_path, "custom_architecture", data, model="unused", max_steps=2)
    definition = json.loads(json.dumps(TEMPLATES["Tiny Transformer"]))
    spec["model"] = {"source": "architecture", "definition": definition}
    spec["dataset"].update(text_column="review")
    code, events, _ = run_engine(spec_file(tmp_path, spec))
    assert code == 1
    assert events[-1]["kind"] == "data"
    assert "dataset.text_column" in events[-1]["error"] and "review" in events[-1]["error"]

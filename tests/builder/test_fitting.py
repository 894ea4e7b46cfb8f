"""Which datasets a Builder network can train on, and the spec "Train this…" makes (real
dataset store on SQLite; no window)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app import builder
from app.builder.training import fitting, training_spec
from app.datasets.store import DatasetStore
from app.db.database import Database
from app.errors import UserError
from tests.engine.helpers import classification_rows, tabular_rows


@pytest.fixture
def store(paths) -> DatasetStore:
    paths.ensure()
    return DatasetStore(Database(paths.database), paths.datasets)


def _csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_each_input_kind_finds_the_datasets_it_can_read(store, tmp_path) -> None:
    store.import_path(_csv(tmp_path / "circle.csv", tabular_rows(40)), "circle")
    store.import_path(_csv(tmp_path / "reviews.csv", classification_rows(40)), "reviews")
    vector = {**builder.TEMPLATES["MLP"], "input": {"kind": "vector", "size": 2}}
    tokens = builder.TEMPLATES["Tiny Transformer"]

    [table] = fitting(store, vector)
    assert (table.version.dataset_name, table.features, table.text_column) == (
        "circle", ["x1", "x2"], None,
    )  # fmt: skip
    [text] = fitting(store, tokens)
    assert (text.version.dataset_name, text.features, text.text_column) == (
        "reviews", [], "text",
    )  # fmt: skip

    spec = training_spec(tokens, text)
    assert spec["recipe"] == "custom_architecture"
    assert spec["dataset"]["text_column"] == "text"
    assert spec["dataset"]["label_column"] == "label"
    assert spec["model"]["definition"]["input"] == tokens["input"]
    assert "text_column" not in training_spec(vector, table)["dataset"]


def test_a_broken_network_is_refused_before_any_dataset_is_read(store) -> None:
    broken = {**builder.TEMPLATES["MLP"], "input": {"kind": "tokens", "vocab_size": 2}}
    with pytest.raises(UserError, match="input"):
        fitting(store, broken)


def test_the_command_line_writes_the_spec_train_this_would_open(store, tmp_path) -> None:
    import json

    from tests.conftest import run_main

    store.import_path(_csv(tmp_path / "circle.csv", tabular_rows(40)), "circle")
    store.import_path(_csv(tmp_path / "reviews.csv", classification_rows(40)), "reviews")
    network = tmp_path / "tiny.json"
    assert run_main("builder", "template", "tiny transformer", str(network)).returncode == 0
    destination = tmp_path / "spec.json"

    refused = run_main(
        "builder", "train-spec", str(network), str(destination), "--dataset", "circle"
    )
    assert refused.returncode == 1
    assert "'circle' does not fit tiny.json" in refused.stderr and "reviews" in refused.stderr
    assert not destination.exists()

    written = run_main("builder", "train-spec", str(network), str(destination))
    assert written.returncode == 0, written.stderr
    assert "on reviews v1" in written.stdout and "job submit" in written.stdout
    spec = json.loads(destination.read_text())
    assert spec["recipe"] == "custom_architecture"
    assert spec["dataset"]["text_column"] == "text"
    assert spec["model"]["definition"]["input"]["kind"] == "tokens"
    again = run_main("builder", "train-spec", str(network), str(destination))
    assert again.returncode == 1 and "exists already" in again.stderr


def test_the_wizard_preview_shows_what_a_builder_network_reads() -> None:
    from app.jobs.recipes import format_example

    tokens = {
        "recipe": "custom_architecture",
        "model": {"definition": {"input": {"kind": "tokens", "vocab_size": 9, "length": 3}}},
        "dataset": {"text_column": "review", "label_column": "stars"},
    }
    shown = format_example(tokens, {"review": "Loved it, truly!", "stars": "5"})
    assert shown == "Loved it, truly!\n→ label '5'\n(reads 3 words: loved it ,)"
    tabular = {
        "recipe": "custom_architecture",
        "model": {"definition": {"input": {"kind": "tabular", "features": ["x1", "x2"]}}},
        "dataset": {"label_column": "label"},
    }
    shown = format_example(tabular, {"x1": 0.5, "x2": -1, "label": "in"})
    assert shown == "x1=0.5, x2=-1 → label 'in'"

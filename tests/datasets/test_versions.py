"""Versions: filters, splits, diffs, the current version, deletion guarded by jobs."""

from __future__ import annotations

import json

import pytest

from app.datasets import operations
from app.datasets.store import DatasetStore
from app.db.database import Database
from app.errors import UserError
from app.jobs.states import JobStatus
from app.jobs.store import JobStore
from tests.conftest import run_main


@pytest.fixture
def store(paths) -> DatasetStore:
    paths.ensure()
    return DatasetStore(Database(paths.database), paths.datasets)


@pytest.fixture
def reviews(store, tmp_path):
    rows = [{"text": "good " * (i % 7), "label": "pos" if i % 3 else "neg"} for i in range(300)]
    rows += [rows[1], {"text": None, "label": "pos"}]
    source = tmp_path / "reviews.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows))
    return store.import_path(source)


def test_filters_make_a_new_version_that_names_its_parent(store, reviews):
    options = operations.FilterOptions(
        drop_empty=True, drop_duplicates=True, text_column="text", min_length=5
    )
    table = operations.apply_filters(store.read(reviews), options)
    kept = store.derive("reviews", table, {"kind": "filter", **options.describe()})
    assert (kept.number, kept.parent) == (2, 1)
    assert kept.rows == 12  # six distinct non-empty texts of five characters or more × 2 labels
    assert store.get("reviews").current_version == 2
    assert reviews.data_file.exists()  # the parent is untouched
    assert store.read(reviews).num_rows == 302
    change = operations.diff(store.read(reviews), store.read(kept))
    assert (change.added, change.removed) == (0, 290)
    labels = operations.apply_filters(
        store.read(reviews), operations.FilterOptions(label_column="label", drop_labels=["neg"])
    )
    assert set(labels["label"].to_pylist()) == {"pos"}


def test_a_stratified_split_keeps_each_labels_share(store, reviews):
    table = operations.split(
        store.read(reviews),
        {"train": 0.8, "validation": 0.1, "test": 0.1},
        seed=1,
        stratify="label",
    )
    rows = table.to_pylist()
    for label in ("pos", "neg"):
        group = [r["split"] for r in rows if r["label"] == label]
        assert abs(group.count("train") / len(group) - 0.8) < 0.02
    again = operations.split(
        store.read(reviews),
        {"train": 0.8, "validation": 0.1, "test": 0.1},
        seed=1,
        stratify="label",
    )
    assert again["split"].to_pylist() == table["split"].to_pylist()  # seeded
    with pytest.raises(UserError, match=r"add up to 1\.1"):
        operations.split(table, {"train": 0.9, "test": 0.2})
    version = store.derive("reviews", table, {"kind": "split"})
    assert "split" in version.columns and store.versions("reviews")[-1].number == 2
    store.set_current("reviews", 1)
    assert store.get("reviews").current.number == 1


def test_delete_is_refused_while_a_queued_job_uses_it(store, reviews, paths):
    jobs = JobStore(Database(paths.database))
    job = jobs.create({"dataset": {"path": str(reviews.data_file)}}, run_dir="-", name="trainer")
    jobs.transition(job.id, JobStatus.QUEUED, "test")
    with pytest.raises(UserError, match="used by 1 queued or running job"):
        store.delete("reviews")
    jobs.transition(job.id, JobStatus.CANCELLED, "test")
    store.delete("reviews")
    assert store.datasets() == [] and not list(store.root.iterdir())


def test_the_dataset_command_line(tmp_path):
    source = tmp_path / "r.csv"
    source.write_text("text,label\nhello,a\nworld,b\nagain,a\n")
    done = run_main("dataset", "import", str(source), "--name", "greetings")
    assert done.returncode == 0, done.stderr
    assert "Imported greetings v1: 3 rows, 2 columns" in done.stdout
    listed = json.loads(run_main("dataset", "list", "--json").stdout)
    assert [(d["name"], d["rows"]) for d in listed] == [("greetings", 3)]
    assert "labels   a: 2, b: 1" in run_main("dataset", "show", "greetings").stdout
    split = run_main(
        "dataset", "split", "greetings", "--train", "0.67", "--validation", "0.33", "--test", "0"
    )
    assert split.returncode == 0, split.stderr
    assert "v2" in run_main("dataset", "versions", "greetings").stdout
    out = tmp_path / "out.csv"
    assert run_main("dataset", "export", "greetings", str(out), "--format", "csv").returncode == 0
    assert out.read_text().splitlines()[0] == '"text","label","split"'
    bad = run_main("dataset", "import", str(tmp_path / "missing.csv"))
    assert bad.returncode == 1 and "does not exist" in bad.stderr


def test_the_command_line_drops_labels_and_imports_samples(tmp_path):
    source = tmp_path / "r.csv"
    source.write_text("text,label\nhello,a\nworld,b\nagain,a\n")
    assert run_main("dataset", "import", str(source), "--name", "greetings").returncode == 0
    dropped = run_main("dataset", "filter", "greetings", "--drop-label", "b")
    assert dropped.returncode == 0, dropped.stderr
    assert "kept 2 of 3 rows" in dropped.stdout
    sample = run_main("dataset", "sample", "instructions")
    assert sample.returncode == 0, sample.stderr
    assert "Imported Instructions: 400 rows" in sample.stdout


def test_csv_export_neutralises_spreadsheet_formulas_unless_asked_to_keep_them(store, tmp_path):
    import csv

    cells = [
        '=HYPERLINK("http://evil","click")',
        "+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "-1+cmd|' /C calc'!A0",
        "\t=1+1",
        "-3.5",
        "plain text",
    ]
    source = tmp_path / "cells.jsonl"
    source.write_text("".join(json.dumps({"text": c, "n": i}) + "\n" for i, c in enumerate(cells)))
    store.import_path(source, "cells")

    def exported(**options) -> list[str]:
        path = store.export("cells", tmp_path / "out.csv", "csv", **options)
        with path.open(newline="", encoding="utf-8") as handle:
            return [row["text"] for row in csv.DictReader(handle)]

    safe = exported()
    assert safe[:5] == ["'" + c for c in cells[:5]]
    assert safe[5:] == ["-3.5", "plain text"]  # a number and plain text stay as they are
    assert exported(keep_formulas=True) == cells
    assert store.read(store.version("cells")).column("text").to_pylist() == cells  # untouched

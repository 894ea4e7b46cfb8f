"""Labeling projects through the app service and the command line, on real SQLite and a
real dataset store: labels committed one by one, counts, exports that never overwrite,
imports refused with the file and line, a dataset version made from the labels that the
engine trains on, and no committed label lost to a kill -9."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys

import pytest

from app.datasets.samples import sample
from app.errors import UserError
from app.labeling.formats import export_labels, import_labels, to_dataset
from tests.conftest import ROOT, run_main
from tests.engine.helpers import run_engine, spec_file


@pytest.fixture
def reviews(core, tmp_path):
    """The reviews sample (600 texts) in the store, and the labeling service."""
    core.datasets.import_path(sample("reviews").write(tmp_path), "reviews")
    return core.labeling


def test_a_project_labels_skips_and_counts(reviews) -> None:
    labeling = reviews
    project = labeling.create("sentiment", "reviews", ["negative", "positive"])
    assert (project.kind, project.column, project.multi_label) == (
        "text_classification",
        "text",
        False,
    )
    assert [(c.name, c.hotkey) for c in project.classes] == [("negative", "1"), ("positive", "2")]
    assert labeling.sample_count(project) == 600
    texts = labeling.values(project, 0, 3)
    assert all(isinstance(text, str) and text for text in texts)

    labeling.set_label(project, 0, ["positive"])
    labeling.set_label(project, 1, ["negative"])
    labeling.set_label(project, 1, ["positive"])  # a second thought replaces the first
    labeling.skip(project, 2)
    progress = labeling.progress(project)
    assert (progress.labeled, progress.skipped, progress.total) == (2, 1, 600)
    assert progress.per_class == {"negative": 0, "positive": 2}
    labeling.clear(project, [1])
    assert labeling.progress(project).per_class == {"negative": 0, "positive": 1}

    with pytest.raises(UserError, match="no class 'neutral'"):
        labeling.set_label(project, 3, ["neutral"])
    with pytest.raises(UserError, match="one class"):
        labeling.set_label(project, 3, ["negative", "positive"])
    with pytest.raises(UserError, match="outside 0 to 599"):
        labeling.set_label(project, 600, ["negative"])
    with pytest.raises(UserError, match="exists already"):
        labeling.create("sentiment", "reviews", ["a"])
    with pytest.raises(UserError, match="both use the key 1"):
        labeling.create("keys", "reviews", ["a", "b"], hotkeys=["1", "1"])
    with pytest.raises(UserError, match="moves between samples"):
        labeling.create("keys", "reviews", ["a"], hotkeys=["j"])
    with pytest.raises(UserError, match="no column 'body'"):
        labeling.create("columns", "reviews", ["a"], column="body")

    multi = labeling.create("topics", "reviews", ["price", "quality", "delivery"], multi_label=True)
    labeling.set_label(multi, 5, ["delivery", "price"])
    assert labeling.labels(multi)[5].classes == ["price", "delivery"]  # schema order


@pytest.mark.slow  # starts engines or other processes
def test_exports_imports_and_a_dataset_version_that_trains(reviews, tmp_path) -> None:
    labeling = reviews
    three = ["negative", "neutral", "positive"]
    project = labeling.create("sentiment", "reviews", three)
    truth = labeling.datasets.read(labeling.version_of(project), ["label"]).column(0).to_pylist()
    for index in range(0, 80):
        labeling.set_label(project, index, [truth[index]])
    labeling.skip(project, 80)

    jsonl, table = tmp_path / "out" / "labels.jsonl", tmp_path / "out" / "labels.csv"
    assert export_labels(labeling, project, "jsonl", jsonl) == 80
    assert export_labels(labeling, project, "csv", table) == 80
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    texts = labeling.values(project, 0, 80)
    assert lines[0] == {
        "sample": 0,
        "text": texts[0],
        "label": labeling.labels(project)[0].classes[0],
    }
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["sample"]), r["text"], r["label"]) for r in rows] == [
        (line["sample"], line["text"], line["label"]) for line in lines
    ]
    with pytest.raises(UserError, match="exists already"):
        export_labels(labeling, project, "csv", table)
    assert sorted(p.name for p in jsonl.parent.iterdir()) == ["labels.csv", "labels.jsonl"]

    # Imported into a fresh project, by row number (JSONL) and by text (CSV without sample).
    again = labeling.create("again", "reviews", three)
    assert import_labels(labeling, again, jsonl) == 80
    assert labeling.labels(again) == {
        s: label for s, label in labeling.labels(project).items() if not label.skipped
    }
    by_text = tmp_path / "by-text.csv"
    by_text.write_text(f'text,label\n"{texts[3]}",positive\n')
    third = labeling.create("third", "reviews", ["negative", "positive"])
    assert import_labels(labeling, third, by_text) == 1
    assert labeling.labels(third)[3].classes == ["positive"]

    # A dataset version of the 80 labeled rows, which the engine trains on.
    version = to_dataset(labeling, project)
    assert (version.number, version.rows, version.parent) == (2, 80, 1)
    assert version.operation["kind"] == "labels" and version.operation["project"] == project.id
    made = labeling.datasets.read(version)
    assert made.column("text").to_pylist() == texts
    assert made.column("label").to_pylist() == truth[:80]
    spec = {
        "job_id": "from-labels",
        "recipe": "text_classification",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {"path": str(version.data_file)},
        "method": "full",
        "output_dir": str(tmp_path / "run" / "output"),
        "hyperparameters": {"max_steps": 4, "batch_size": 8, "eval_every": 4},
    }
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    completed = next(e for e in events if e["event"] == "completed")
    assert "accuracy" in completed["final"]


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        (
            "bad.jsonl",
            '{"sample": 0, "label": "positive"}\n{"sample": 1, "label": \n',
            "bad.jsonl, line 2: not JSON",
        ),
        (
            "bad.jsonl",
            '{"sample": 0, "label": "positive"}\n\n{"sample": 2, "label": "meh"}\n',
            "bad.jsonl, line 3: sentiment has no class 'meh'",
        ),
        (
            "bad.csv",
            "sample,label\n0,positive\n9999,negative\n",
            "bad.csv, line 3: sample 9999 is outside 0 to 599",
        ),
        (
            "bad.csv",
            "sample,label\nfirst,positive\n",
            "bad.csv, line 2: sample 'first' is not a row number",
        ),
        (
            "bad.csv",
            "text,label\nno such review,positive\n",
            "bad.csv, line 2: no sample has this text",
        ),
        (
            "bad.jsonl",
            '{"label": "positive"}\n',
            "bad.jsonl, line 1: name the sample by 'sample' or by 'text'",
        ),
        ("bad.txt", "0 positive\n", "labels are read from .jsonl or .csv"),
    ],
)
def test_a_bad_labels_file_is_refused_with_its_line_and_writes_nothing(
    reviews, tmp_path, name, text, error
) -> None:
    project = reviews.create("sentiment", "reviews", ["negative", "positive"])
    source = tmp_path / name
    source.write_text(text)
    with pytest.raises(UserError) as refused:
        import_labels(reviews, project, source)
    assert error in refused.value.message
    assert reviews.labels(project) == {}


@pytest.mark.slow  # starts engines or other processes
def test_the_command_line_creates_lists_exports_imports_and_makes_a_version(
    tmp_path,
) -> None:
    data = sample("reviews").write(tmp_path)
    assert run_main("dataset", "import", str(data), "--name", "reviews").returncode == 0
    created = run_main(
        "labels", "create", "sentiment", "--dataset", "reviews", "--classes", "negative,positive"
    )
    assert created.returncode == 0, created.stderr
    assert "#1 sentiment (1 negative, 2 positive)" in created.stdout
    lettered = run_main(
        "labels", "create", "letters", "--dataset", "reviews",
        "--classes", "negative,positive", "--hotkeys", "n,p",
    )  # fmt: skip
    assert "(N negative, P positive)" in lettered.stdout, lettered.stderr
    source = tmp_path / "mine.jsonl"
    source.write_text(
        "".join(json.dumps({"sample": i, "label": "positive"}) + "\n" for i in range(5))
    )
    imported = run_main("labels", "import", "sentiment", str(source))
    assert imported.returncode == 0 and "5 samples" in imported.stdout, imported.stderr
    listed = run_main("labels", "list")
    assert (
        "sentiment" in listed.stdout
        and "5 / 600" in listed.stdout
        and "positive 5" in listed.stdout
    )
    out = tmp_path / "out.csv"
    exported = run_main("labels", "export", "1", "--format", "csv", str(out))
    assert exported.returncode == 0 and out.read_text().count("\n") == 6
    again = run_main("labels", "export", "1", "--format", "csv", str(out))
    assert again.returncode == 1 and "exists already" in again.stderr
    made = run_main("labels", "to-dataset", "sentiment")
    assert made.returncode == 0 and "reviews version 2: 5 labeled rows" in made.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("sample,label\n0,great\n")
    refused = run_main("labels", "import", "sentiment", str(bad))
    assert refused.returncode == 1 and "bad.csv, line 2" in refused.stderr


LABELER = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from app.core import AppCore
from app.paths import data_paths
from views.application import ensure_application
from views.labeling.pane import LabelingPane

app = ensure_application()
core = AppCore(data_paths())
core.open_database()
pane = LabelingPane(core)
pane.show()
while pane.session is None:
    app.processEvents()
session = pane.session
pane.view.setFocus()
for index in range(600):
    QTest.keyClick(pane.view, Qt.Key.Key_2 if index % 2 else Qt.Key.Key_1)
    while session._writes.activeThreadCount():  # the label's write has landed
        app.processEvents()
    print(index, flush=True)
"""


def test_a_kill_9_mid_session_loses_no_committed_label(reviews) -> None:
    """The window itself is killed while labeling by keys: every label whose write had
    landed when it was killed is there, and none is wrong."""
    project = reviews.create("sentiment", "reviews", ["negative", "positive"])
    process = subprocess.Popen(
        [sys.executable, "-c", LABELER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    confirmed = -1
    for line in process.stdout:
        confirmed = int(line)
        if confirmed >= 40:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    labels = reviews.labels(project)
    assert all(index in labels for index in range(confirmed + 1))
    assert all(labels[i].classes == ["positive" if i % 2 else "negative"] for i in labels)

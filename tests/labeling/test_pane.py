"""The Labeling pane driven by real key and mouse events: 100 samples labeled by number
keys with the right counts in the pane and in the database, undo and redo across samples,
skips, filters, a reopened project resuming where it was left, and labels made into a
dataset version and a file."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from app.datasets.samples import sample

# Starts windows and reads real files: left out of the quick tier.
pytestmark = pytest.mark.slow

CLASSES = ["negative", "neutral", "positive"]
KEYS = {"negative": Qt.Key.Key_1, "neutral": Qt.Key.Key_2, "positive": Qt.Key.Key_3}


@pytest.fixture
def pane(core, qtbot, tmp_path):
    from views.labeling.pane import LabelingPane

    core.datasets.import_path(sample("reviews").write(tmp_path), "reviews")
    project = core.labeling.create("sentiment", "reviews", CLASSES)
    made = LabelingPane(core)
    qtbot.addWidget(made)
    made.resize(1100, 700)
    made.show()
    qtbot.waitUntil(lambda: made.session is not None, timeout=30_000)
    made.truth = core.datasets.read(core.labeling.version_of(project), ["label"]).column(0)
    return made


def _wait_text(qtbot, pane) -> None:
    qtbot.waitUntil(lambda: pane.view.text.toPlainText() not in ("", "Reading…"), timeout=20_000)


def test_label_100_samples_by_keys_undo_redo_and_resume(pane, core, qtbot) -> None:
    session, view = pane.session, pane.view
    truth = pane.truth.to_pylist()
    view.setFocus()
    _wait_text(qtbot, pane)
    texts = core.labeling.values(session.project, 0, 100)
    for index in range(100):
        assert session.sample() == index
        qtbot.waitUntil(lambda i=index: view.text.toPlainText() == texts[i], timeout=20_000)
        qtbot.keyClick(view, KEYS[truth[index]])
    expected = {name: truth[:100].count(name) for name in CLASSES}
    assert session.progress().per_class == expected
    assert view.progress.format() == "100 of 600 labeled"
    assert pane.projects.index(0, 2).data() == "100 / 600"
    assert pane.selected() is not None and pane.delete_action.isEnabled()  # still selected
    session.flush()
    stored = core.labeling.labels(session.project)
    assert {s: label.classes[0] for s, label in stored.items()} == dict(enumerate(truth[:100]))

    # Undo three labels (back across samples), redo two: memory and disk agree.
    assert pane.undo_action.shortcut().toString() == "Ctrl+Z"
    for _ in range(3):
        pane.undo_action.trigger()
    assert session.sample() == 97 and 97 not in session.labels and 99 not in session.labels
    pane.redo_action.trigger()
    pane.redo_action.trigger()
    assert 97 in session.labels and 98 in session.labels and 99 not in session.labels
    session.flush()
    assert set(core.labeling.labels(session.project)) == set(range(99))

    # Space skips, arrows and J / K move, Backspace clears.
    qtbot.keyClick(view, Qt.Key.Key_Right)  # 99 → 100
    assert session.sample() == 100
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert session.labels[100].skipped and session.sample() == 101
    qtbot.keyClick(view, Qt.Key.Key_K)
    qtbot.keyClick(view, Qt.Key.Key_K)
    assert session.sample() == 99
    qtbot.keyClick(view, Qt.Key.Key_J)
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert 100 not in session.labels
    assert view.state.text() == "unlabeled"

    # A class button labels too (a real mouse click), then the filters.
    qtbot.mouseClick(view.class_buttons["neutral"], Qt.MouseButton.LeftButton)
    assert session.labels[100].classes == ["neutral"] and session.sample() == 101
    view.filter.setCurrentIndex(view.filter.findData("unlabeled"))
    assert session.sample() == 101 and session.count == 600 - 100
    view.filter.setCurrentIndex(view.filter.findData("neutral"))
    assert all("neutral" in session.labels[session.sample(i)].classes for i in range(session.count))
    view.filter.setCurrentIndex(view.filter.findData("all"))

    # Reopened, the project is where it was left.
    session.go_to_sample(123)
    session.flush()
    from views.labeling.pane import LabelingPane

    again = LabelingPane(core)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.session is not None, timeout=30_000)
    assert again.session.sample() == 123
    assert again.session.progress().labeled == 100


def test_labels_become_a_dataset_version_and_a_file(pane, core, qtbot, tmp_path) -> None:
    view = pane.view
    _wait_text(qtbot, pane)
    for _ in range(10):
        qtbot.keyClick(view, Qt.Key.Key_3)
    out = tmp_path / "labels.jsonl"
    pane.export_to(out, "jsonl")
    qtbot.waitUntil(out.exists, timeout=20_000)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["sample"] for line in lines] == list(range(10))
    assert {line["label"] for line in lines} == {"positive"}
    pane.dataset_action.trigger()
    qtbot.waitUntil(lambda: core.datasets.get("reviews").versions == 2, timeout=30_000)
    version = core.datasets.version("reviews")
    assert version.rows == 10 and version.operation["project_name"] == "sentiment"


def test_a_new_project_from_the_dialog_and_a_delete_that_asks(pane, core, qtbot) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    pane.new_action.trigger()
    qtbot.waitUntil(lambda: getattr(pane, "project_dialog", None) is not None, timeout=20_000)
    dialog = pane.project_dialog
    create = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.dataset.currentText() == "reviews" and dialog.column.currentText() == "text"
    assert not create.isEnabled() and "Name the classes" in dialog.problem.text()
    qtbot.keyClicks(dialog.name, "topics")
    qtbot.keyClicks(dialog.classes, "price, price")
    assert not create.isEnabled() and "named twice" in dialog.problem.text()
    dialog.classes.clear()
    qtbot.keyClicks(dialog.classes, "price, quality, delivery")
    dialog.labels_kind.setCurrentIndex(dialog.labels_kind.findData("several"))
    qtbot.mouseClick(create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.projects.rowCount() == 2, timeout=20_000)
    qtbot.waitUntil(
        lambda: pane.session is not None and pane.session.project.name == "topics", timeout=20_000
    )
    view, session = pane.view, pane.session
    _wait_text(qtbot, pane)
    qtbot.keyClick(view, Qt.Key.Key_1)
    qtbot.keyClick(view, Qt.Key.Key_3)  # several classes: keys toggle, Enter moves on
    assert session.labels[0].classes == ["price", "delivery"] and session.sample() == 0
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert session.labels[0].classes == ["delivery"]
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert session.sample() == 1

    pane.delete_action.trigger()
    box = pane.confirm_box
    assert "Its 1 label goes with it" in box.informativeText()
    next(b for b in box.buttons() if b.text() == "Cancel").click()
    assert pane.projects.rowCount() == 2
    pane.delete_action.trigger()
    delete = next(b for b in pane.confirm_box.buttons() if b.text() == "Delete")
    delete.click()
    qtbot.waitUntil(lambda: pane.projects.rowCount() == 1, timeout=20_000)
    assert [p.name for p in core.labeling.projects()] == ["sentiment"]


def test_train_on_these_labels_opens_the_jobs_wizard_on_the_new_version(
    start_session, paths, qtbot, tmp_path
) -> None:
    """Labels → a job in one click: the version of the labeled rows, in the wizard with the
    text classification recipe and its tuned defaults, and the wizard's review is valid."""
    session = start_session(paths)
    core, window = session.core, session.window
    qtbot.waitUntil(lambda: core.database_is_open, timeout=30_000)
    core.datasets.import_path(sample("reviews").write(tmp_path), "reviews")
    core.labeling.create("sentiment", "reviews", CLASSES)
    pane = window.show_pane("labeling")
    qtbot.waitUntil(lambda: pane.session is not None, timeout=30_000)
    _wait_text(qtbot, pane)
    truth = core.datasets.read(core.datasets.version("reviews"), ["label"]).column(0).to_pylist()
    for index in range(60):
        qtbot.keyClick(pane.view, KEYS[truth[index]])
    pane.train_action.trigger()
    jobs = window.show_pane("jobs")
    qtbot.waitUntil(lambda: getattr(pane, "train_wizard", None) is not None, timeout=30_000)
    wizard = pane.train_wizard
    version = core.datasets.version("reviews")
    assert version.number == 2 and version.rows == 60
    assert wizard.spec["recipe"] == "text_classification"
    assert wizard.spec["dataset"]["path"] == str(version.data_file)
    assert wizard.spec["dataset"]["text_column"] == "text"
    assert jobs._wizard is wizard


def test_opening_another_project_says_so_until_its_first_sample(pane, core, qtbot) -> None:
    """The last project's sample never stays on screen, and the view is never blank."""
    core.labeling.create("second look", "reviews", CLASSES)
    pane.reload()
    qtbot.waitUntil(lambda: pane.projects.rowCount() == 2, timeout=20_000)
    _wait_text(qtbot, pane)
    row = next(
        r
        for r in range(2)
        if pane.projects.row(pane.projects.index(r, 0)).project.name == "second look"
    )
    pane.table.selectRow(row)  # opens it; its labels are read off the GUI thread
    assert pane.view.where.text() == "Opening second look…"
    assert pane.view.text.toPlainText() == "" and pane.view.progress.maximum() == 0  # busy
    qtbot.waitUntil(
        lambda: pane.session is not None and pane.session.project.name == "second look",
        timeout=20_000,
    )
    qtbot.waitUntil(lambda: pane.view.where.text().startswith("Sample 1 of"), timeout=20_000)
    assert pane.view.progress.maximum() == 600

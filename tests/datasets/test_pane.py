"""The Datasets pane, driven as a person would: samples, drops, dialogs, history, deletion.

Real store, real SQLite, real worker threads; nothing is mocked.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from app.datasets.row_window import RowWindow
from app.datasets.samples import PER_CLASS
from app.jobs.states import JobStatus
from views.datasets.dialogs import FilterDialog, SplitDialog
from views.datasets.pane import DatasetsPane
from views.datasets.preview_table import PENDING, PreviewTable

TIMEOUT = 20_000


@pytest.fixture
def pane(core, qtbot) -> DatasetsPane:
    widget = DatasetsPane(core)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def wait_idle(qtbot, pane: DatasetsPane) -> None:
    qtbot.waitUntil(lambda: not pane.busy, timeout=TIMEOUT)


def wait_listed(qtbot, pane: DatasetsPane, count: int) -> None:
    qtbot.waitUntil(lambda: pane.datasets.rowCount() == count, timeout=TIMEOUT)


def wait_preview(qtbot, pane: DatasetsPane) -> None:
    qtbot.waitUntil(lambda: pane.preview.model.loaded, timeout=TIMEOUT)


def message_boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_the_empty_state_offers_samples_and_a_sample_imports_and_previews(qtbot, pane, core):
    qtbot.waitUntil(lambda: pane.store is not None, timeout=TIMEOUT)
    # Enabled as soon as the store is there, before the (empty) list arrives.
    assert pane.sample_buttons["reviews"].isEnabled()
    assert pane.sample_action.isEnabled()
    qtbot.waitUntil(lambda: pane.stack.currentIndex() == 0, timeout=TIMEOUT)
    qtbot.mouseClick(pane.sample_buttons["reviews"], Qt.MouseButton.LeftButton)
    wait_idle(qtbot, pane)
    wait_listed(qtbot, pane, 1)
    assert pane.stack.currentIndex() == 1
    wait_preview(qtbot, pane)
    dataset = pane.selected_dataset()
    assert dataset is not None and dataset.name == "Product reviews" and dataset.current.rows == 600
    first = core.datasets.read(dataset.current).slice(0, 1).to_pylist()[0]
    model = pane.preview.model
    assert [model.value(0, c) for c in range(model.columnCount())] == list(first.values())
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    # Statistics came with the version: the label chart has its three bars.
    assert not pane.statistics.labels_box.isHidden()
    bars = pane.statistics.labels_plot.getPlotItem().items[0]
    assert list(bars.opts["height"]) == [count for _l, count in dataset.current.stats["labels"]]


def test_files_dropped_on_the_main_window_switch_to_datasets_and_import(
    start_session, paths, qtbot, tmp_path
):
    source = tmp_path / "tickets.jsonl"
    source.write_text("\n".join(json.dumps({"text": f"t{i}", "label": i % 2}) for i in range(50)))
    session = start_session(paths)
    window = session.window
    session.core.open_database()
    window.show_pane("settings")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(source))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.current_pane_key() == "datasets"
    pane = window.pane("datasets")
    wait_listed(qtbot, pane, 1)
    wait_idle(qtbot, pane)
    assert pane.selected_dataset().name == "tickets"
    assert pane.selected_dataset().current.rows == 50


def test_a_broken_file_names_its_line_and_leaves_nothing(qtbot, pane, core, tmp_path):
    qtbot.waitUntil(lambda: pane.store is not None, timeout=TIMEOUT)
    source = tmp_path / "broken.jsonl"
    source.write_text('{"text": "a"}\n{"text": "b"\n{"text": "c"}\n')
    pane.import_paths([source])
    wait_idle(qtbot, pane)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=TIMEOUT)
    box = message_boxes()[0]
    assert "broken.jsonl" in box.text() and "line 2" in box.text()
    box.close()
    assert core.datasets.datasets() == []
    assert [p.name for p in core.paths.datasets.iterdir()] == []


def test_a_bad_line_is_offered_again_skipping_it_with_the_files_after_it(
    qtbot, pane, core, tmp_path
):
    """The error's hint says "import again skipping bad lines": the window offers exactly
    that, and the files queued after the broken one are imported too."""
    qtbot.waitUntil(lambda: pane.store is not None, timeout=TIMEOUT)
    broken, fine = tmp_path / "broken.jsonl", tmp_path / "fine.jsonl"
    broken.write_text('{"text": "a"}\n{"text": "b"\n{"text": "c"}\n')
    fine.write_text('{"text": "d"}\n')
    offers: list[QMessageBox] = []
    pane.imports.offered.connect(offers.append)
    pane.import_paths([broken, fine])
    qtbot.waitUntil(lambda: bool(offers), timeout=TIMEOUT)
    box = offers[0]
    assert "broken.jsonl, line 2" in box.text()
    skip = next(b for b in box.buttons() if b.text() == "Skip bad lines and import")
    skip.click()
    qtbot.waitUntil(lambda: len(core.datasets.datasets()) == 2, timeout=TIMEOUT)
    wait_idle(qtbot, pane)
    imported = {d.name: d.current for d in core.datasets.datasets()}
    assert imported["broken"].rows == 2
    assert "skipped 1 bad line(s): 2" in " ".join(imported["broken"].notes)
    assert imported["fine"].rows == 1


def test_cancelling_an_import_keeps_nothing(qtbot, pane, core, tmp_path):
    qtbot.waitUntil(lambda: pane.store is not None, timeout=TIMEOUT)
    source = tmp_path / "big.csv"
    with source.open("w") as out:
        out.write("text,label\n")
        for i in range(200_000):
            out.write(f"row number {i} with some words,{i % 5}\n")
    pane.import_paths([source])
    assert pane.strip.isVisible() and pane.busy
    qtbot.mouseClick(pane.strip.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, pane)
    assert core.datasets.datasets() == []
    assert [p.name for p in core.paths.datasets.iterdir()] == []
    assert not pane.strip.isVisible()


def test_the_preview_reads_only_what_it_shows_and_jumps_anywhere(qtbot, tmp_path):
    rows = 300_000
    path = tmp_path / "data.parquet"
    pq.write_table(
        pa.table({"n": pa.array(range(rows)), "text": [f"row {i}" for i in range(rows)]}),
        path,
        row_group_size=65_536,
    )
    window = RowWindow(path, cached_groups=2)
    assert window.cached(250_000, 10) is None  # nothing is read until asked
    table = PreviewTable()
    qtbot.addWidget(table)
    table.resize(600, 400)
    table.show()
    table.set_source(window)
    qtbot.waitUntil(lambda: table.model.loaded, timeout=TIMEOUT)
    assert table.model.value(0, 0) == 0
    assert table.model.rowCount() < 40  # one screenful, not 300,000 rows
    with qtbot.waitSignal(table.model.page_loaded, timeout=TIMEOUT) as loaded:
        table.go_to.setValue(250_001)
    assert loaded.args == [250_000]
    assert table.model.value(0, 0) == 250_000 and table.model.value(0, 1) == "row 250000"
    assert table.model.headerData(0, Qt.Orientation.Vertical) == "250,001"
    assert "250,001" in table.summary.text() and "300,000" in table.summary.text()
    # A page that spans two row groups is stitched from both.
    with qtbot.waitSignal(table.model.page_loaded, timeout=TIMEOUT):
        table.scroll_to_row(65_530)
    values = [table.model.value(r, 0) for r in range(10)]
    assert values == list(range(65_530, 65_540))
    # The end of the file: the last row is reachable and nothing past it is shown.
    table.scrollbar.setValue(table.scrollbar.maximum())
    qtbot.waitUntil(lambda: table.model.loaded, timeout=TIMEOUT)
    shown = [table.model.value(r, 0) for r in range(table.model.rowCount())]
    assert (rows - 1 in shown and None in shown[-1:]) or shown[-1] == rows - 1
    # While a page is on its way the cells say so instead of showing stale rows.
    table.scroll_to_row(130_000)
    if not table.model.loaded:
        assert table.model.data(table.model.index(0, 0)) == PENDING
    qtbot.waitUntil(lambda: table.model.loaded, timeout=TIMEOUT)
    assert table.model.value(0, 0) == 130_000


def _import_reviews(qtbot, pane, tmp_path, rows=None) -> None:
    qtbot.waitUntil(lambda: pane.store is not None, timeout=TIMEOUT)
    rows = (
        rows
        or [{"text": "fine " * (i % 6), "label": ["pos", "neg", "meh"][i % 3]} for i in range(90)]
        + [{"text": "fine ", "label": "neg"}] * 3
    )
    source = tmp_path / "reviews.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows))
    pane.import_paths([source])
    wait_idle(qtbot, pane)
    wait_listed(qtbot, pane, 1)


def _accept_when_ready(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: dialog.preview_ready, timeout=TIMEOUT)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_clean_up_previews_what_it_keeps_then_makes_a_version(qtbot, pane, core, tmp_path):
    _import_reviews(qtbot, pane, tmp_path)
    dialog = pane.open_filter()
    assert isinstance(dialog, FilterDialog)
    qtbot.waitUntil(lambda: "nothing would change" in dialog.outcome.text(), timeout=TIMEOUT)
    dialog.drop_duplicates.setChecked(True)
    dialog.min_length.setValue(5)
    expected = 5  # "fine " × 1..5, each with one label (i % 6 fixes i % 3), once each
    qtbot.waitUntil(lambda: f"Keeps {expected} of 93" in dialog.outcome.text(), timeout=TIMEOUT)
    _accept_when_ready(qtbot, dialog)
    wait_idle(qtbot, pane)
    qtbot.waitUntil(lambda: pane.selected_dataset().current_version == 2, timeout=TIMEOUT)
    version = core.datasets.version("reviews")
    assert version.rows == expected and version.parent == 1
    assert version.operation["kind"] == "filter" and version.operation["min_length"] == 5


def test_dropping_a_label_in_clean_up(qtbot, pane, core, tmp_path):
    _import_reviews(qtbot, pane, tmp_path)
    dialog = pane.open_filter()
    qtbot.waitUntil(lambda: dialog.labels.count() == 3, timeout=TIMEOUT)
    item = next(
        dialog.labels.item(i)
        for i in range(3)
        if dialog.labels.item(i).data(Qt.ItemDataRole.UserRole) == "meh"
    )
    item.setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: "Keeps 63 of 93" in dialog.outcome.text(), timeout=TIMEOUT)
    _accept_when_ready(qtbot, dialog)
    wait_idle(qtbot, pane)
    qtbot.waitUntil(lambda: pane.selected_dataset().current_version == 2, timeout=TIMEOUT)
    labels = set(core.datasets.read(core.datasets.version("reviews"))["label"].to_pylist())
    assert labels == {"pos", "neg"}


def test_split_previews_counts_then_history_compares_and_restores(qtbot, pane, core, tmp_path):
    _import_reviews(qtbot, pane, tmp_path)
    dialog = pane.open_split()
    assert isinstance(dialog, SplitDialog) and dialog.stratify.isChecked()
    dialog.fractions["train"].setValue(0.6)
    dialog.fractions["validation"].setValue(0.2)
    dialog.fractions["test"].setValue(0.2)
    qtbot.waitUntil(lambda: dialog.outcome.text().startswith("train 5"), timeout=TIMEOUT)
    preview = dialog.outcome.text()
    _accept_when_ready(qtbot, dialog)
    wait_idle(qtbot, pane)
    qtbot.waitUntil(lambda: pane.selected_dataset().current_version == 2, timeout=TIMEOUT)
    table = core.datasets.read(core.datasets.version("reviews"))
    counts = {
        name: table["split"].to_pylist().count(name) for name in ("train", "validation", "test")
    }
    assert preview == ", ".join(f"{k} {v}" for k, v in counts.items()) + " rows."

    # History: newest first; compare v2 with its parent, then make v1 current again.
    qtbot.waitUntil(lambda: pane.history.versions.rowCount() == 2, timeout=TIMEOUT)
    pane.tabs.setCurrentIndex(2)
    pane.history.version_table.selectRow(0)
    assert pane.history.diff_button.isEnabled() and not pane.history.current_button.isEnabled()
    pane.history.diff_button.click()
    diff = pane.history.diff_result
    qtbot.waitUntil(lambda: "Columns added: split" in diff.text(), timeout=TIMEOUT)
    assert "0 rows added, 0 removed" in pane.history.diff_result.text()
    wait_idle(qtbot, pane)
    pane.history.version_table.selectRow(1)
    assert pane.history.current_button.isEnabled()
    pane.history.current_button.click()
    wait_idle(qtbot, pane)
    qtbot.waitUntil(lambda: core.datasets.get("reviews").current_version == 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: pane.selected_dataset().current_version == 1, timeout=TIMEOUT)


def test_delete_asks_first_and_is_refused_while_a_job_uses_it(qtbot, pane, core, tmp_path):
    _import_reviews(qtbot, pane, tmp_path)
    dataset = pane.selected_dataset()
    folder = dataset.current.path.parent

    box = pane.confirm_delete()
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, pane)
    assert core.datasets.datasets() and folder.exists()

    from app.jobs.store import JobStore

    jobs = JobStore(core.database)
    job = jobs.create({"dataset": {"path": str(dataset.current.data_file)}}, run_dir="-", name="t")
    jobs.transition(job.id, JobStatus.QUEUED, "test")
    box = pane.confirm_delete()
    next(b for b in box.buttons() if b.text() == "Delete").click()
    wait_idle(qtbot, pane)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=TIMEOUT)
    refusal = message_boxes()[0]
    assert "used by 1 queued or running job" in refusal.text()
    refusal.close()
    assert folder.exists()

    jobs.transition(job.id, JobStatus.CANCELLED, "test")
    box = pane.confirm_delete()
    next(b for b in box.buttons() if b.text() == "Delete").click()
    wait_idle(qtbot, pane)
    wait_listed(qtbot, pane, 0)
    assert not folder.exists() and core.datasets.datasets() == []
    qtbot.waitUntil(lambda: pane.stack.currentIndex() == 0, timeout=TIMEOUT)


def test_images_show_as_thumbnails_made_off_the_gui_thread_and_cached(qtbot, pane, core):
    qtbot.waitUntil(lambda: pane.store is not None, timeout=TIMEOUT)
    pane.import_sample("shapes")
    wait_idle(qtbot, pane)
    wait_listed(qtbot, pane, 1)
    assert pane.preview_stack.currentWidget() is pane.images
    qtbot.waitUntil(lambda: pane.thumbnails.rowCount() == 3 * PER_CLASS, timeout=TIMEOUT)
    index = pane.thumbnails.index(0)
    assert pane.thumbnails.data(index) == "circle"
    pane.thumbnails.data(index, Qt.ItemDataRole.DecorationRole)  # asks for it
    path = str(
        core.datasets.datasets()[0].current.path
        / core.datasets.read(core.datasets.datasets()[0].current)["image"][0].as_py()
    )
    qtbot.waitUntil(lambda: pane._thumbs.get(path) is not None, timeout=TIMEOUT)
    assert pane._thumbs.get(path).width() <= 128
    cached = list((core.paths.cache / "thumbnails").rglob("*.png"))
    assert cached, "thumbnails are kept on disk for the next start"


def test_export_writes_the_shown_version(qtbot, pane, tmp_path):
    _import_reviews(qtbot, pane, tmp_path)
    destination = tmp_path / "out.csv"
    pane.export_to(destination, "csv")
    wait_idle(qtbot, pane)
    assert destination.read_text().splitlines()[0] == '"text","label"'
    assert len(destination.read_text().splitlines()) == 94


def test_submitting_a_job_marks_the_dataset_used(core, qtbot, tmp_path):
    source = tmp_path / "reviews.jsonl"
    source.write_text("\n".join(json.dumps({"text": f"t {i}", "label": i % 2}) for i in range(40)))
    version = core.datasets.import_path(source)
    assert core.datasets.get("reviews").last_used_at is None
    core.jobs.submit(
        {
            "recipe": "text_classification",
            "model": {"source": "preset", "name": "tiny-bert"},
            "dataset": {
                "path": str(version.data_file),
                "text_column": "text",
                "label_column": "label",
            },
            "hyperparameters": {"max_steps": 1},
        }
    )
    assert core.datasets.get("reviews").last_used_at is not None
    core.jobs.shutdown(stop_jobs=True)


def test_preview_columns_give_spare_width_to_the_text_that_was_cut(qtbot, tmp_path) -> None:
    path = tmp_path / "reviews.parquet"
    long_text = "The battery works perfectly and the screen is bright and sharp. " * 6
    pq.write_table(
        pa.table({"text": [long_text] * 20, "label": ["positive"] * 20, "stars": [5] * 20}), path
    )
    table = PreviewTable()
    qtbot.addWidget(table)
    table.resize(1100, 400)
    table.show()
    table.set_source(RowWindow(path))
    qtbot.waitUntil(lambda: table.model.loaded, timeout=TIMEOUT)
    header = table.view.horizontalHeader()
    qtbot.waitUntil(lambda: header.sectionSize(0) > 420, timeout=TIMEOUT)
    text, stars = header.sectionSize(0), header.sectionSize(2)
    assert stars <= 100  # a one-digit column stays narrow
    used = sum(header.sectionSize(c) for c in range(3))
    assert used <= table.view.viewport().width()  # the cut text got the spare width, no more
    assert text > header.sectionSize(1)

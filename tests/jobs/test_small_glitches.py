"""Small things a new user tripped over in the Jobs pane (issue #14, item 7)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from app.jobs.actions import actions_for
from app.jobs.states import JobStatus
from views.jobs.wizard_pages.hyper_page import HyperparametersPage
from views.widgets import open_folder as open_folder_module


def test_a_job_without_a_checkpoint_is_not_offered_a_resume_from_one() -> None:
    assert "resume_from" in actions_for(JobStatus.FAILED)  # not counted yet
    assert "resume_from" in actions_for(JobStatus.FAILED, 2)
    assert "resume_from" not in actions_for(JobStatus.FAILED, 0)
    assert "retry" in actions_for(JobStatus.FAILED, 0)


def test_ticking_advanced_maps_no_stray_windows(qtbot) -> None:
    page = HyperparametersPage()
    qtbot.addWidget(page)
    page.load({"recipe": "text_classification", "method": "full", "hyperparameters": {}})
    page.show()
    before = {w for w in QApplication.topLevelWidgets() if w.isVisible()}
    page.advanced.setChecked(True)
    assert page.advanced_rows.isVisible() and page.scheduler.isVisible()
    after = {w for w in QApplication.topLevelWidgets() if w.isVisible()}
    assert after == before  # the combo boxes' popups stay unmapped
    page.advanced.setChecked(False)
    assert not page.scheduler.isVisible()


def test_data_workers_round_trip_through_the_advanced_section(qtbot) -> None:
    page = HyperparametersPage()
    qtbot.addWidget(page)
    spec = {"recipe": "image_classification", "method": "full", "hyperparameters": {}}
    page.load(spec)
    assert page.data_workers.text() == "automatic"
    page.store(spec)
    assert "data_workers" not in spec["hyperparameters"]  # the engine decides
    page.data_workers.setValue(0)
    page.store(spec)
    assert spec["hyperparameters"]["data_workers"] == 0
    spec["hyperparameters"]["data_workers"] = 3
    page.load(spec)
    assert page.data_workers.value() == 3


def test_open_folder_without_a_file_manager_says_where_it_is(qtbot, monkeypatch, tmp_path):
    """No file manager exists on this machine's offscreen desktop: the URL handler is
    stood in for by one that fails, as QDesktopServices does there."""
    shown: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    assert not open_folder_module.open_folder(None, Path(tmp_path))
    assert str(tmp_path) in shown[0]
    assert QGuiApplication.clipboard().text() == str(tmp_path)


def test_progress_on_a_selected_row_is_drawn_in_the_highlighted_text_colour(qtbot) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QImage, QPainter, QPalette, QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    from views.widgets.progress_delegate import ProgressDelegate, ProgressRole

    model = QStandardItemModel(1, 1)
    item = QStandardItem()
    item.setData(1.0, ProgressRole)
    model.setItem(0, 0, item)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 120, 30)
    option.state = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Enabled
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Highlight, "#e4572e")
    palette.setColor(QPalette.ColorRole.HighlightedText, "#ffffff")
    option.palette = palette
    image = QImage(120, 30, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    ProgressDelegate().paint(painter, option, model.index(0, 0))
    painter.end()
    chunk = image.pixelColor(12, 15)  # inside the bar, left of the text
    assert chunk.name() == "#ffffff"  # not the highlight it would vanish into

"""The Models pane through qtbot: the list and its filters, a dropped folder, the card
edited as Markdown and rendered, a delete that asks first."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.models.test_folder_check import _folder


def _names(pane) -> list[str]:
    proxy = pane.filtered
    return [proxy.index(row, 0).data().strip(" ↳") for row in range(proxy.rowCount())]


def test_list_filters_drop_card_and_delete(core, qtbot, tmp_path) -> None:
    from views.models.pane import ModelsPane

    pane = ModelsPane(core)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: pane.models.rowCount() == 3)
    assert _names(pane) == ["tiny-gpt2", "tiny-bert", "tiny-vit"]
    assert not pane.delete_action.isEnabled()  # a preset stays

    folder = _folder(tmp_path)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    pane.dropEvent(drop)
    qtbot.waitUntil(lambda: pane.models.rowCount() == 4)
    qtbot.waitUntil(lambda: pane.selected() is not None and pane.selected().name == "model")

    added = pane.selected().id
    pane.task_filter.setCurrentIndex(1)  # text generation
    assert _names(pane) == ["tiny-gpt2", "model"]
    pane.task_filter.setCurrentIndex(0)
    qtbot.keyClicks(pane.search, "gpt2lmhead")
    assert _names(pane) == ["model"]
    pane.search.clear()
    pane.kind_filter.setCurrentIndex(3)  # adapters
    assert _names(pane) == []
    pane.kind_filter.setCurrentIndex(0)
    assert pane.select_model(added)

    detail = pane.detail
    assert "Base model for text generation" in detail.card_view.toPlainText()
    qtbot.mouseClick(detail.edit_button, Qt.MouseButton.LeftButton)
    detail.card_editor.selectAll()
    qtbot.keyClicks(detail.card_editor, "# Mine")
    qtbot.keyClick(detail.card_editor, Qt.Key.Key_Return)
    qtbot.keyClick(detail.card_editor, Qt.Key.Key_Return)
    qtbot.keyClicks(detail.card_editor, "**bold** words")
    qtbot.mouseClick(detail.save_button, Qt.MouseButton.LeftButton)
    assert detail.card_view.toPlainText().startswith("Mine\nbold words")
    assert core.models.card(pane.selected().id) == "# Mine\n\n**bold** words"
    qtbot.waitUntil(lambda: detail.files.rowCount() == 3)

    pane.delete_action.trigger()
    box = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    )
    assert "its folder is yours and stays" in box.informativeText()
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.models.rowCount() == 3)
    assert folder.is_dir()

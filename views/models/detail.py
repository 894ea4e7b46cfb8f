"""One model: its card (rendered, and editable as Markdown), lineage, configuration, files."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import NotFound
from app.models.cards import card_body
from app.models.registry import ModelRegistry
from app.models.store import ModelRecord
from app.tasks import report_error, run_task
from app.units import human_bytes
from views.models.curves_tab import ModelCurves
from views.widgets.table_model import Index, RowTableModel


class FileModel(RowTableModel[tuple[str, int]]):
    HEADERS = ("File", "Size")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        return row[0] if index.column() == 0 else human_bytes(row[1])


class ModelDetail(QWidget):
    open_job = Signal(str)
    open_dataset = Signal(str)

    def __init__(self, registry: ModelRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.model: ModelRecord | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setProperty("role", "section-title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.title)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._card_tab(), "Card")
        self.tabs.addTab(self._lineage_tab(), "Lineage")
        self.files = FileModel(self)
        files_view = QTableView()
        files_view.setModel(self.files)
        files_view.verticalHeader().hide()
        files_view.horizontalHeader().setStretchLastSection(True)
        self.tabs.addTab(files_view, "Files")
        self.curves = ModelCurves(registry)
        self.tabs.addTab(self.curves, "Curves")

    def _card_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        self.card_stack = QStackedWidget()
        self.card_view = QTextBrowser()
        self.card_view.setOpenExternalLinks(False)
        self.card_editor = QPlainTextEdit()
        self.card_editor.setPlaceholderText("The card, in Markdown")
        self.card_stack.addWidget(self.card_view)
        self.card_stack.addWidget(self.card_editor)
        column.addWidget(self.card_stack, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.edit_button = QPushButton("Edit card")
        self.edit_button.setShortcut("Ctrl+E")
        self.edit_button.clicked.connect(self.start_editing)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.stop_editing)
        self.save_button = QPushButton("Save card")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.clicked.connect(self.save_card)
        for button in (self.edit_button, self.cancel_button, self.save_button):
            buttons.addWidget(button)
        column.addLayout(buttons)
        self._set_editing(False)
        return tab

    def _lineage_tab(self) -> QWidget:
        tab = QWidget()
        self.lineage = QFormLayout(tab)
        return tab

    # -- showing ---------------------------------------------------------------------------

    def show_model(self, model: ModelRecord | None) -> None:
        editing = self.card_stack.currentIndex() == 1 and self.model is not None
        if editing and model is not None and self.model is not None and model.id == self.model.id:
            return  # an edit in progress survives a refresh of the list
        self.model = model
        self._set_editing(False)
        self.setEnabled(model is not None)
        self.curves.show_model(model)
        if model is None:
            self.title.setText("")
            self.card_view.clear()
            self.files.set_rows([])
            return
        self.title.setText(model.name)
        self.card_view.setMarkdown(card_body(model))  # the record in hand: no read
        self._fill_lineage(model)
        model_id = model.id
        run_task(
            lambda _s: (self.registry.files(model_id), self.registry.config_summary(model_id)),
            on_done=lambda found: self._show_files(model_id, *found),
            on_error=self._files_failed,
            context=self,
        )

    def _fill_lineage(self, model: ModelRecord) -> None:
        while self.lineage.rowCount():
            self.lineage.removeRow(0)
        rows: list[tuple[str, QWidget | str]] = [
            ("Kind", f"{model.kind} · {model.task_name}"),
            ("Source", model.source),
        ]
        if model.base_id is not None:
            rows.append(("Base model", self.registry.get(model.base_id).name))
        if model.job_id:
            link = QPushButton(f"Open job {model.job_id}")
            link.setProperty("role", "link")
            job_id = model.job_id
            link.clicked.connect(lambda: self.open_job.emit(job_id))
            rows.append(("Job", link))
        data = model.dataset or {}
        if data.get("name"):
            link = QPushButton(f"{data['name']} · version {data.get('version')}")
            link.setProperty("role", "link")
            name = str(data["name"])
            link.clicked.connect(lambda: self.open_dataset.emit(name))
            rows.append(("Dataset", link))
            if data.get("sha256"):
                rows.append(("Dataset SHA-256", str(data["sha256"])))
        elif data.get("path"):
            rows.append(("Data file", str(data["path"])))
        if model.architecture:
            rows.append(("Architecture", model.architecture))
        if model.parameters:
            rows.append(("Parameters", f"{model.parameters:,} ({model.dtype})"))
        for kind in ("final", "best", "baseline"):
            values = (model.metrics or {}).get(kind) or {}
            shown = ", ".join(f"{k} {v:.4g}" for k, v in values.items() if isinstance(v, float))
            if shown:
                rows.append((kind.title(), shown))
        if model.path:
            rows.append(("Folder", model.path))
        for label, value in rows:
            if isinstance(value, str):
                text = QLabel(value)
                text.setTextFormat(Qt.TextFormat.PlainText)
                text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                text.setWordWrap(True)
                value = text
            self.lineage.addRow(label, value)

    def _files_failed(self, error: BaseException, _text: str) -> None:
        # Deleted while its files were listed: the list's refresh clears this view.
        if not isinstance(error, NotFound):
            report_error(error, _text)

    def _show_files(self, model_id: int, files: list[tuple[str, int]], config: dict) -> None:
        if self.model is None or self.model.id != model_id:
            return
        self.files.set_rows(files)
        for key in ("model_type", "hidden_size", "num_hidden_layers", "vocab_size", "r"):
            if key in config:
                label = QLabel(str(config[key]))
                label.setTextFormat(Qt.TextFormat.PlainText)
                self.lineage.addRow(key.replace("_", " ").capitalize(), label)

    # -- editing ---------------------------------------------------------------------------

    def _set_editing(self, editing: bool) -> None:
        self.card_stack.setCurrentIndex(1 if editing else 0)
        self.edit_button.setVisible(not editing)
        self.cancel_button.setVisible(editing)
        self.save_button.setVisible(editing)

    def start_editing(self) -> None:
        if self.model is None:
            return
        self.card_editor.setPlainText(card_body(self.model))
        self._set_editing(True)
        self.card_editor.setFocus()

    def stop_editing(self) -> None:
        self._set_editing(False)

    def save_card(self) -> None:
        if self.model is None:
            return
        self.model = self.registry.set_card(self.model.id, self.card_editor.toPlainText())
        self.card_view.setMarkdown(card_body(self.model))
        self._set_editing(False)

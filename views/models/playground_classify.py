"""The playground for classifiers: one text or image with its class probabilities as bars,
and a file of texts or a folder of images classified in batch into a table to export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.playground import PlaygroundSession
from app.models.playground_batch import read_texts, write_predictions
from app.tasks import run_task
from views.crash_dialog import show_user_error
from views.models.playground_generate import elided_label
from views.models.playground_tables import PredictionModel, ProbabilityModel
from views.widgets.progress_delegate import ProgressDelegate

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp)"
TEXT_FILTER = "Texts (*.txt *.csv *.tsv *.jsonl *.json *.parquet)"


def _table(model: Any, bar_column: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.setItemDelegateForColumn(bar_column, ProgressDelegate(view))
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return view


class ClassifyPage(QWidget):
    """`kind` is "text" or "image"."""

    def __init__(
        self, session: PlaygroundSession, kind: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.kind = session, kind
        self.single: int | None = None
        self.batch: int | None = None
        self.probabilities = ProbabilityModel(self)
        self.predictions = PredictionModel(self)
        self.setAcceptDrops(kind == "image")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(splitter, 1)

        top = QWidget()
        row = QHBoxLayout(top)
        row.setContentsMargins(0, 0, 0, 0)
        if kind == "text":
            self.input = QPlainTextEdit()
            self.input.setPlaceholderText("Type or paste a text… (Ctrl+Enter classifies)")
            row.addWidget(self.input, 3)
        else:
            self.preview = QLabel("Drop an image or a folder of images here")
            self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.preview.setMinimumSize(160, 120)
            self.preview.setFrameShape(QLabel.Shape.StyledPanel)
            row.addWidget(self.preview, 3)
        self.bars = _table(self.probabilities, 1)
        row.addWidget(self.bars, 2)
        splitter.addWidget(top)

        bottom = QWidget()
        column = QVBoxLayout(bottom)
        column.setContentsMargins(0, 0, 0, 0)
        self.results = _table(self.predictions, 2)
        column.addWidget(self.results, 1)
        self.progress = QProgressBar()
        self.progress.hide()
        column.addWidget(self.progress)
        splitter.addWidget(bottom)

        buttons = QHBoxLayout()
        self.status = elided_label()
        buttons.addWidget(self.status, 1)
        if kind == "text":
            self.classify_button = QPushButton("Classify")
            self.classify_button.setToolTip("Classify the text (Ctrl+Enter)")
            self.classify_button.clicked.connect(self.classify_input)
            self.file_button = QPushButton("Classify a file…")
            self.file_button.setToolTip("A .txt file (one text per line) or a data file")
            self.file_button.clicked.connect(self.choose_file)
            buttons.addWidget(self.file_button)
            buttons.addWidget(self.classify_button)
            for keys in ("Ctrl+Return", "Ctrl+Enter"):
                QShortcut(QKeySequence(keys), self, self.classify_input)
        else:
            self.file_button = QPushButton("Choose images…")
            self.file_button.clicked.connect(self.choose_images)
            self.folder_button = QPushButton("Choose a folder…")
            self.folder_button.clicked.connect(self.choose_folder)
            buttons.addWidget(self.file_button)
            buttons.addWidget(self.folder_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the batch (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Escape"), self, self.stop)

        session.progress.connect(self._on_progress)
        session.result.connect(self._on_result)
        session.failed.connect(self._on_failed)
        self._update_buttons()

    # -- requests ---------------------------------------------------------------------------

    def classify_input(self) -> None:
        text = self.input.toPlainText().strip()
        if text and self.single is None:
            self.single = self.session.classify(texts=[text])
            self.status.setText("Classifying…")

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "A file of texts to classify", "", TEXT_FILTER)
        if name:
            self.classify_file(Path(name))

    def classify_file(self, path: Path) -> None:
        """Read the texts off the GUI thread, then send them as one batch."""
        self.status.setText(f"Reading {path.name}…")
        run_task(
            lambda _s: read_texts(path),
            on_done=lambda texts: self._start_batch({"texts": texts}, len(texts)),
            on_error=lambda error, _t: self._read_failed(error),
            context=self,
        )

    def _read_failed(self, error: BaseException) -> None:
        self.status.clear()
        show_user_error(self, error, "Cannot read the texts")

    def choose_images(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Images to classify", "", IMAGE_FILTER)
        if names:
            self.classify_images([Path(n) for n in names])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of images to classify")
        if folder:
            self.classify_images([Path(folder)])

    def classify_images(self, paths: list[Path]) -> None:
        if len(paths) == 1 and paths[0].is_file():
            pixmap = QPixmap(str(paths[0]))
            if not pixmap.isNull():
                self.preview.setPixmap(
                    pixmap.scaled(
                        self.preview.size(),
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
            if self.single is None:
                self.single = self.session.classify(images=[str(paths[0])], top_k=5)
                self.status.setText("Classifying…")
            return
        self.preview.setText(f"{len(paths)} item(s) in the batch below")
        self._start_batch({"images": [str(p) for p in paths]}, 0)

    def _start_batch(self, request: dict[str, Any], count: int) -> None:
        if self.batch is not None:
            return
        self.predictions.set_rows([])
        self.progress.setRange(0, count)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Classifying the batch…")
        self.batch = self.session.classify(**request)
        self._update_buttons()

    def stop(self) -> None:
        if self.batch is not None:
            self.session.cancel(self.batch)
            self.status.setText("Stopping…")

    def export(self) -> None:
        rows = self.predictions.rows()
        if not rows:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export the answers", "predictions.csv", "CSV (*.csv)"
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        rows = self.predictions.rows()
        run_task(
            lambda _s: write_predictions(path, rows),
            on_done=lambda written: self.status.setText(f"Saved {written}"),
            context=self,
        )

    # -- answers ----------------------------------------------------------------------------

    def _on_progress(self, request_id: int, done: int, total: int) -> None:
        if request_id == self.batch:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _on_result(self, request_id: int, result: dict[str, Any]) -> None:
        predictions = result.get("predictions") or []
        if request_id == self.single:
            self.single = None
            first = predictions[0] if predictions else {}
            self.probabilities.set_rows(first.get("labels") or [])
            self.status.setText(first.get("error", ""))
        elif request_id == self.batch:
            self.batch = None
            self.predictions.set_rows(predictions)
            self.progress.hide()
            stopped = " (stopped)" if result.get("finish") == "cancelled" else ""
            self.status.setText(f"{len(predictions):,} classified{stopped}")
            self._update_buttons()

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id not in (self.single, self.batch):
            return
        if request_id == self.single:
            self.single = None
        else:
            self.batch = None
            self.progress.hide()
        self.status.setText(message)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.stop_button.setEnabled(self.batch is not None)
        self.export_button.setEnabled(self.batch is None and self.predictions.rowCount() > 0)

    # -- drops --------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if self.kind == "image" and urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.classify_images([Path(url.toLocalFile()) for url in event.mimeData().urls()])
        event.acceptProposedAction()

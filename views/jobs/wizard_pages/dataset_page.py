"""Step 2: a dataset version (or a file), its columns matched to what the recipe reads,
with the first rows shown the way the model will see them. Files are read in a worker."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from app.datasets.store import Dataset
from app.errors import UserError
from app.jobs.recipes import (
    SFT_MODES,
    default_spec,
    fits_recipe,
    format_example,
    label_warning,
)
from app.jobs.validation import DataSample, check_rows, read_sample, split_counts
from app.tasks import run_task
from views.jobs.wizard_pages.base import SpecPage

PREVIEW_ROWS = 3


class DatasetPage(SpecPage):
    def __init__(self, core) -> None:
        super().__init__()
        self._core = core
        self.setTitle("Which data?")
        self.setSubTitle(
            "A version from your datasets, its columns matched to what the recipe reads."
        )
        self._datasets: list[Dataset] = []
        self._columns: list[str] = []
        self._sample: list[dict[str, Any]] = []
        self._rows: list[dict[str, Any]] = []
        self._blocking = False
        self._splits: dict[str, int] | None = None
        """Rows per split when the data has a split column (it then decides the split)."""
        self.dataset = QComboBox()
        self.dataset.setObjectName("dataset")
        self.version = QComboBox()
        self.version.setObjectName("dataset-version")
        self.file_button = QPushButton("A file instead…")
        self.file_button.clicked.connect(self._choose_file)
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.mode = QComboBox()
        for key, label in SFT_MODES:
            self.mode.addItem(label, key)
        self.text_column = QComboBox()
        self.label_column = QComboBox()
        self.prompt_column = QComboBox()
        self.response_column = QComboBox()
        self.messages_column = QComboBox()
        self.validation = QDoubleSpinBox()
        self.validation.setRange(0.0, 0.5)
        self.validation.setSingleStep(0.05)
        self.validation.setValue(0.1)
        self.split_info = QLabel()
        self.split_info.setObjectName("split-counts")
        self.split_info.setWordWrap(True)
        self.split_info.hide()
        validation = QHBoxLayout()
        validation.addWidget(self.validation)
        validation.addWidget(self.split_info, 1)
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("formatted-sample")
        self.preview.setReadOnly(True)
        self.problem = QLabel()
        self.problem.setObjectName("dataset-problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e03131")

        source = QHBoxLayout()
        source.addWidget(self.dataset, 2)
        source.addWidget(self.version, 1)
        source.addWidget(self.file_button)
        self.form = QFormLayout()
        self.form.addRow("Dataset", source)
        self.form.addRow("Reads", self.path)
        self.form.addRow("Format", self.mode)
        self.form.addRow("Text column", self.text_column)
        self.form.addRow("Prompt column", self.prompt_column)
        self.form.addRow("Response column", self.response_column)
        self.form.addRow("Messages column", self.messages_column)
        self.form.addRow("Label column", self.label_column)
        self.form.addRow("Validation", validation)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(QLabel("How the first rows reach the model:"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.problem)

        self.dataset.currentIndexChanged.connect(self._on_dataset)
        self.version.currentIndexChanged.connect(self._on_version)
        for combo in (
            self.mode,
            self.text_column,
            self.label_column,
            self.prompt_column,
            self.response_column,
            self.messages_column,
        ):
            combo.currentIndexChanged.connect(self._update)
        core.when_database_ready(lambda _db: self._load_datasets())

    # -- sources ---------------------------------------------------------------------------

    def _load_datasets(self) -> None:
        store = self._core.datasets
        run_task(lambda _s: store.datasets(), on_done=self._show_datasets, context=self)

    def _show_datasets(self, datasets: list[Dataset]) -> None:
        self._datasets = datasets
        self.dataset.blockSignals(True)
        self.dataset.clear()
        for dataset in datasets:
            self.dataset.addItem(f"{dataset.name} ({dataset.current.rows:,} rows)", dataset.id)
        self.dataset.blockSignals(False)
        if not datasets:
            self.dataset.addItem("No datasets yet: import one in the Datasets pane", None)
        self.load(self.wizard_spec() if self.wizard() else {})

    def _on_dataset(self) -> None:
        dataset = self._chosen_dataset()
        self.version.blockSignals(True)
        self.version.clear()
        if dataset is not None:
            for number in range(dataset.versions, 0, -1):
                label = f"v{number}" + (" (current)" if number == dataset.current_version else "")
                self.version.addItem(label, number)
            self.version.setCurrentIndex(self.version.findData(dataset.current_version))
        self.version.blockSignals(False)
        self._on_version()

    def _chosen_dataset(self) -> Dataset | None:
        key = self.dataset.currentData()
        return next((d for d in self._datasets if d.id == key), None)

    def _on_version(self) -> None:
        dataset = self._chosen_dataset()
        number = self.version.currentData()
        if dataset is None or number is None:
            return
        folder = self._core.datasets.root / dataset.id / f"v{number}"
        self._set_path(str(folder / "data.parquet"))

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Train on a file", "", "Data (*.parquet *.csv *.tsv *.json *.jsonl)"
        )
        if path:
            self._set_path(path)

    def _set_path(self, path: str) -> None:
        if path == self.path.text() and self._columns:
            return
        self.path.setText(path)
        self._columns, self._sample = [], []
        self.problem.setText("Reading the first rows…")

        def arrived(found: tuple[DataSample, dict[str, int] | None]) -> None:
            if self.path.text() != path:
                return
            sample, self._splits = found
            self._columns, self._sample = sample.columns, sample.rows[:PREVIEW_ROWS]
            self._rows = sample.rows
            self.problem.clear()
            self._show_splits()
            self._fill_columns()

        def failed(error: BaseException, _text: str) -> None:
            if self.path.text() == path:
                self.problem.setText(str(error))
                self.completeChanged.emit()

        run_task(
            lambda _s: (read_sample(Path(path), 50), split_counts(Path(path))),
            on_done=arrived,
            on_error=failed,
            context=self,
        )

    def _show_splits(self) -> None:
        """A split column decides the split (the engine reads it): say so with its counts,
        and offer a random hold-out only when there is none."""
        splits = self._splits
        self.validation.setVisible(splits is None)
        self.split_info.setVisible(splits is not None)
        if splits is not None:
            self.split_info.setText(
                f"From the split column: {splits['train']:,} train · "
                f"{splits['validation']:,} validation · {splits['test']:,} test "
                "(test rows are never trained or evaluated on: they are kept for your final "
                "evaluation)"
            )

    def _fill_columns(self) -> None:
        dataset = self.wizard_spec().get("dataset", {}) if self.wizard() else {}
        for combo, key, guesses in (
            (self.text_column, "text_column", ("text", "sentence", "content", "prompt")),
            (self.label_column, "label_column", ("label", "labels", "class", "category")),
            (self.prompt_column, "prompt_column", ("prompt", "instruction", "question", "input")),
            (
                self.response_column,
                "response_column",
                ("response", "output", "answer", "completion"),
            ),
            (self.messages_column, "messages_column", ("messages", "conversation", "chat")),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(self._columns)
            wanted = dataset.get(key)
            choice = (
                wanted
                if wanted in self._columns
                else next(
                    (g for g in guesses if g in self._columns),
                    self._columns[0] if self._columns else "",
                )
            )
            combo.setCurrentText(choice)
            combo.blockSignals(False)
        if self.recipe() == "causal_lm_sft" and not dataset.get("messages_column"):
            mode = (
                "prompt"
                if {"prompt", "response"} & set(self._columns) == {"prompt", "response"}
                or dataset.get("prompt_column")
                else "text"
            )
            self.mode.setCurrentIndex(self.mode.findData(mode))
        self._update()

    # -- what the recipe reads -------------------------------------------------------------

    def recipe(self) -> str:
        return self.wizard_spec().get("recipe", "") if self.wizard() else ""

    def _update(self) -> None:
        recipe, mode = self.recipe(), self.mode.currentData()
        reads_words = _network_reads_words(self.wizard_spec() if self.wizard() else {})
        shown = {
            "causal_lm_sft": {"Format"}
            | {
                "prompt": {"Prompt column", "Response column"},
                "text": {"Text column"},
                "messages": {"Messages column"},
            }[mode],
            "text_classification": {"Text column", "Label column"},
            "image_classification": {"Label column"},
            "custom_architecture": {"Label column"} | ({"Text column"} if reads_words else set()),
        }.get(recipe, set())
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            name = label.widget().text() if label and label.widget() else ""
            if name in ("Dataset", "Reads", "Validation"):
                continue
            visible = name in shown
            for item in (label, field):
                if item is not None and item.widget() is not None:
                    item.widget().setVisible(visible)
        spec = copy.deepcopy(self.wizard_spec()) if self.wizard() else default_spec()
        self.store(spec)
        self.preview.setPlainText(
            "\n\n────────\n\n".join(format_example(spec, row) for row in self._sample)
        )
        if self._columns:
            try:
                check_rows(spec, DataSample(self._columns, self._rows))
            except UserError as error:  # what the engine would fail on, said now
                self._blocking = True
                self.problem.setText(error.message)
            else:
                self._blocking = False
                self.problem.setText(label_warning(spec, self._rows))
        self.completeChanged.emit()

    def load(self, spec: dict[str, Any]) -> None:
        dataset = spec.get("dataset", {})
        self.validation.setValue(float(dataset.get("validation_split", 0.1)))
        path = str(dataset.get("path", ""))
        chosen = next((d for d in self._datasets if f"/{d.id}/" in path), None)
        if chosen is not None and not fits_recipe(chosen, spec.get("recipe")):
            # The recipe changed since this dataset was picked: start from one that fits.
            path = ""
            self.path.clear()
            self._columns = []
        if path:
            for index in range(self.dataset.count()):
                key = self.dataset.itemData(index)
                if key and f"/{key}/" in path:
                    self.dataset.setCurrentIndex(index)
                    break
            self._set_path(path)
        elif self._datasets and not self.path.text():
            fitting = next(
                (i for i, d in enumerate(self._datasets) if fits_recipe(d, spec.get("recipe"))), 0
            )
            if self.dataset.currentIndex() != fitting:
                self.dataset.setCurrentIndex(fitting)  # loads it
            else:
                self._on_dataset()
        if dataset.get("messages_column"):
            self.mode.setCurrentIndex(self.mode.findData("messages"))
        self._update()

    def store(self, spec: dict[str, Any]) -> None:
        recipe, mode = spec.get("recipe"), self.mode.currentData()
        dataset: dict[str, Any] = {
            "path": self.path.text(),
            "validation_split": round(self.validation.value(), 4),
        }
        if recipe == "causal_lm_sft":
            if mode == "prompt":
                dataset["prompt_column"] = self.prompt_column.currentText()
                dataset["response_column"] = self.response_column.currentText()
            elif mode == "messages":
                dataset["messages_column"] = self.messages_column.currentText()
            else:
                dataset["text_column"] = self.text_column.currentText()
        elif recipe == "text_classification" or _network_reads_words(spec):
            dataset["text_column"] = self.text_column.currentText()
            dataset["label_column"] = self.label_column.currentText()
        else:
            dataset["label_column"] = self.label_column.currentText()
        spec["dataset"] = dataset

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return bool(self.path.text() and self._columns) and not self._blocking


def _network_reads_words(spec: dict[str, Any]) -> bool:
    """A Builder network with a tokens input reads a text column (its words become ids)."""
    definition = (spec.get("model") or {}).get("definition") or {}
    return spec.get("recipe") == "custom_architecture" and (
        (definition.get("input") or {}).get("kind") == "tokens"
    )

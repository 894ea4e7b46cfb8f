"""The new-job wizard: recipe → dataset → model → method → hyperparameters → review.

Each page reads its part of the spec from the one dict the wizard holds and
writes it back, so a template or a past job's spec ("clone and change") fills
every page, and the review shows exactly what is submitted: the spec as JSON,
the same job as a `python main.py job submit` command, and the pre-submit
check (dataset columns, model folder, memory against the GPUs) with its
errors and warnings in place. Checks read files, so they run in a worker.
"""

from __future__ import annotations

import copy
import json
import shlex
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.datasets.store import Dataset
from app.errors import UserError
from app.jobs.spec_choices import PLAIN_TEMPLATE, PRECISIONS, PRESET_KINDS, SCHEDULERS
from app.jobs.spec_files import read_spec, spec_template, write_spec
from app.jobs.validation import RECIPE_MODEL_KIND, read_sample
from app.tasks import run_task

RECIPES = (
    ("text_classification", "Text classification", "Sort text into labels (sentiment, topic)."),
    (
        "causal_lm_sft",
        "Instruction tuning (causal LM)",
        "Teach a language model to answer prompts: prompt/response pairs, chats or plain text.",
    ),
    ("image_classification", "Image classification", "Sort images into classes."),
    (
        "custom_architecture",
        "Builder network",
        "Train a network composed in the Builder pane on a table or an image folder.",
    ),
)
RECIPE_NAMES = {key: name for key, name, _ in RECIPES}
SFT_MODES = (
    ("prompt", "Prompt and response columns"),
    ("text", "One text column"),
    ("messages", "A messages column (chat)"),
)
LORA_DEFAULTS = {
    "causal_lm_sft": {"r": 16, "alpha": 32, "dropout": 0.05},
    "text_classification": {"r": 8, "alpha": 16, "dropout": 0.1},
    "image_classification": {"r": 8, "alpha": 16, "dropout": 0.1},
}
LEARNING_RATES = {"full": 5e-5, "lora": 2e-4}
PREVIEW_ROWS = 3
GIB = 1024**3


def default_spec() -> dict[str, Any]:
    return {
        "recipe": "text_classification",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {
            "path": "",
            "text_column": "text",
            "label_column": "label",
            "validation_split": 0.1,
        },
        "method": "full",
        "hyperparameters": {
            "epochs": 1,
            "batch_size": 8,
            "learning_rate": 5e-5,
            "max_seq_length": 256,
        },
    }


def submit_command(spec_file: str, name: str, gpus: int, priority: int) -> str:
    parts = ["python", "main.py", "job", "submit", spec_file]
    if name:
        parts += ["--name", name]
    if gpus:
        parts += ["--gpus", str(gpus)]
    if priority:
        parts += ["--priority", str(priority)]
    return shlex.join(parts)


def format_example(spec: dict[str, Any], row: dict[str, Any]) -> str:
    """A row the way the recipe presents it to the model (plain template for presets)."""
    dataset, recipe = spec.get("dataset", {}), spec.get("recipe")
    if recipe == "causal_lm_sft":
        if dataset.get("messages_column"):
            messages = row.get(dataset["messages_column"]) or []
            if isinstance(messages, str):
                try:
                    messages = json.loads(messages)
                except ValueError:
                    return f"(not a list of messages: {messages[:80]!r})"
            history = messages[:-1] if isinstance(messages, list) else []
            text = "".join(
                f"### {m.get('role', '?').title()}:\n{m.get('content', '')}\n\n"
                for m in history
                if isinstance(m, dict)
            )
            last = messages[-1] if isinstance(messages, list) and messages else {}
            return text + "### Assistant:\n" + f"[learns] {last.get('content', '')}"
        if dataset.get("prompt_column"):
            prompt = PLAIN_TEMPLATE.format(prompt=row.get(dataset["prompt_column"], ""))
            return prompt + f"[learns] {row.get(dataset.get('response_column') or '', '')}"
        return f"[learns] {row.get(dataset.get('text_column', 'text'), '')}"
    if recipe == "text_classification":
        return (
            f"{row.get(dataset.get('text_column', 'text'), '')}\n"
            f"→ label {row.get(dataset.get('label_column', 'label'))!r}"
        )
    return f"{row.get('image', '')} → label {row.get(dataset.get('label_column', 'label'))!r}"


def fits_recipe(dataset: Dataset, recipe: str | None) -> bool:
    """Whether a stored dataset looks like what the recipe reads (to choose it first)."""
    version = dataset.current
    columns = set(version.columns)
    if recipe == "image_classification":
        return version.kind == "images"
    if recipe == "text_classification":
        return version.kind == "table" and bool(version.stats.get("label_column"))
    if recipe == "causal_lm_sft":
        return version.kind == "table" and (
            {"prompt", "response"} <= columns or "text" in columns or "messages" in columns
        )
    return True


def label_warning(spec: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """A label column that is the text column, or that looks like free text."""
    dataset = spec.get("dataset", {})
    label = dataset.get("label_column")
    if spec.get("recipe") not in ("text_classification", "image_classification") or not rows:
        return ""
    if spec.get("recipe") == "text_classification" and label == dataset.get("text_column"):
        return "The label column is the text column: choose the column that holds the labels."
    values = [row.get(label) for row in rows]
    distinct = len({json.dumps(v, default=str) for v in values})
    if len(values) >= 20 and distinct > len(values) / 2:
        return (
            f"{label!r} has {distinct} different values in the first {len(values)} rows: "
            "is it really the label?"
        )
    return ""


class SpecPage(QWizardPage):
    """A page that shows and edits part of the wizard's spec."""

    def wizard_spec(self) -> dict[str, Any]:
        return self.wizard().spec  # type: ignore[attr-defined]

    def load(self, spec: dict[str, Any]) -> None:
        """Fill the widgets from `spec`."""

    def store(self, spec: dict[str, Any]) -> None:
        """Write the widgets into `spec`."""

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.load(self.wizard_spec())

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.isComplete():  # next() called directly skips the disabled button
            return False
        self.store(self.wizard_spec())
        return True


class RecipePage(SpecPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("What do you want to train?")
        self.setSubTitle("The recipe decides which columns the dataset needs and which models fit.")
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        self.buttons: dict[str, QRadioButton] = {}
        for key, name, text in RECIPES:
            button = QRadioButton(name)
            button.setObjectName(f"recipe-{key}")
            caption = QLabel(text)
            caption.setProperty("role", "muted")
            caption.setIndent(24)
            self.group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(button)
            layout.addWidget(caption)
        builder = self.buttons["custom_architecture"]
        builder.setEnabled(False)
        builder.setToolTip("Compose a network in the Builder pane first; it is trained from there.")
        layout.addStretch(1)

    def load(self, spec: dict[str, Any]) -> None:
        button = self.buttons.get(spec.get("recipe", ""))
        if button is not None and button.isEnabled():
            button.setChecked(True)
        elif not self.group.checkedButton():
            self.buttons["text_classification"].setChecked(True)

    def recipe(self) -> str:
        for key, button in self.buttons.items():
            if button.isChecked():
                return key
        return "text_classification"

    def store(self, spec: dict[str, Any]) -> None:
        recipe = self.recipe()
        if spec.get("recipe") != recipe:
            spec["recipe"] = recipe
            wanted = RECIPE_MODEL_KIND.get(recipe)
            model = spec.setdefault("model", {})
            if (
                model.get("source", "preset") == "preset"
                and PRESET_KINDS.get(model.get("name", "")) != wanted
            ):
                preset = next((n for n, k in PRESET_KINDS.items() if k == wanted), None)
                spec["model"] = {"source": "preset", "name": preset}


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
        self.form.addRow("Held out for validation", self.validation)
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
        run_task(lambda _s: store.list(), on_done=self._show_datasets, context=self)

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

        def arrived(sample) -> None:
            if self.path.text() != path:
                return
            self._columns, self._sample = sample.columns, sample.rows[:PREVIEW_ROWS]
            self._rows = sample.rows
            self.problem.clear()
            self._fill_columns()

        def failed(error: BaseException, _text: str) -> None:
            if self.path.text() == path:
                self.problem.setText(str(error))
                self.completeChanged.emit()

        run_task(
            lambda _s: read_sample(Path(path), 50), on_done=arrived, on_error=failed, context=self
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
        shown = {
            "causal_lm_sft": {"Format"}
            | {
                "prompt": {"Prompt column", "Response column"},
                "text": {"Text column"},
                "messages": {"Messages column"},
            }[mode],
            "text_classification": {"Text column", "Label column"},
            "image_classification": {"Label column"},
            "custom_architecture": {"Label column"},
        }.get(recipe, set())
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            name = label.widget().text() if label and label.widget() else ""
            if name in ("Dataset", "Reads", "Held out for validation"):
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
            warning = label_warning(spec, self._rows)
            self._blocking = warning.startswith("The label column is the text column")
            self.problem.setText(warning)
        self.completeChanged.emit()

    def load(self, spec: dict[str, Any]) -> None:
        dataset = spec.get("dataset", {})
        self.validation.setValue(float(dataset.get("validation_split", 0.1)))
        path = str(dataset.get("path", ""))
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
        elif recipe == "text_classification":
            dataset["text_column"] = self.text_column.currentText()
            dataset["label_column"] = self.label_column.currentText()
        else:
            dataset["label_column"] = self.label_column.currentText()
        spec["dataset"] = dataset

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return bool(self.path.text() and self._columns) and not self._blocking


class ModelPage(SpecPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Which model?")
        self.setSubTitle(
            "Presets are tiny models that need no download (for trying things out); a local "
            "folder is any Hugging Face model saved as safetensors."
        )
        self.preset_button = QRadioButton("Preset")
        self.local_button = QRadioButton("Local folder")
        self.hub_button = QRadioButton("Hugging Face Hub (needs the network)")
        group = QButtonGroup(self)
        for button in (self.preset_button, self.local_button, self.hub_button):
            group.addButton(button)
            button.toggled.connect(self._update)
        self.preset = QComboBox()
        self.preset.setObjectName("preset")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("A folder with config.json and *.safetensors")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.repo = QLineEdit()
        self.repo.setPlaceholderText("organisation/model")
        self.folder.textChanged.connect(self.completeChanged)
        self.repo.textChanged.connect(self.completeChanged)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(self.preset_button, self.preset)
        form.addRow(self.local_button, folder_row)
        form.addRow(self.hub_button, self.repo)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A Hugging Face model folder")
        if folder:
            self.folder.setText(folder)
            self.local_button.setChecked(True)

    def _update(self) -> None:
        self.preset.setEnabled(self.preset_button.isChecked())
        self.folder.setEnabled(self.local_button.isChecked())
        self.repo.setEnabled(self.hub_button.isChecked())
        self.completeChanged.emit()

    def load(self, spec: dict[str, Any]) -> None:
        wanted = RECIPE_MODEL_KIND.get(spec.get("recipe", ""))
        self.preset.clear()
        self.preset.addItems([name for name, kind in PRESET_KINDS.items() if kind == wanted])
        model = spec.get("model", {})
        source = model.get("source", "preset")
        {"preset": self.preset_button, "local": self.local_button, "hub": self.hub_button}.get(
            source, self.preset_button
        ).setChecked(True)
        if model.get("name"):
            self.preset.setCurrentText(model["name"])
        self.folder.setText(model.get("path") or self.folder.text())
        self.repo.setText(model.get("repo_id") or self.repo.text())
        self._update()

    def store(self, spec: dict[str, Any]) -> None:
        if self.local_button.isChecked():
            spec["model"] = {"source": "local", "path": self.folder.text().strip()}
        elif self.hub_button.isChecked():
            spec["model"] = {"source": "hub", "repo_id": self.repo.text().strip()}
        else:
            spec["model"] = {"source": "preset", "name": self.preset.currentText()}

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        if self.local_button.isChecked():
            return bool(self.folder.text().strip())
        if self.hub_button.isChecked():
            return "/" in self.repo.text()
        return bool(self.preset.currentText())


class MethodPage(SpecPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Full fine-tune or LoRA?")
        self.setSubTitle(
            "Full trains every weight. LoRA trains small adapters beside frozen weights: a "
            "fraction of the memory, and the adapter can be merged later."
        )
        self.full = QRadioButton("Full fine-tune")
        self.lora = QRadioButton("LoRA")
        self.full.setObjectName("method-full")
        self.lora.setObjectName("method-lora")
        group = QButtonGroup(self)
        group.addButton(self.full)
        group.addButton(self.lora)
        self.r = QSpinBox()
        self.r.setRange(1, 512)
        self.alpha = QSpinBox()
        self.alpha.setRange(1, 1024)
        self.dropout = QDoubleSpinBox()
        self.dropout.setRange(0.0, 0.9)
        self.dropout.setSingleStep(0.05)
        self.targets = QLineEdit()
        self.targets.setPlaceholderText("automatic: the attention projections")
        self.lora_box = QGroupBox("LoRA")
        lora_form = QFormLayout(self.lora_box)
        lora_form.addRow("Rank (r)", self.r)
        lora_form.addRow("Alpha", self.alpha)
        lora_form.addRow("Dropout", self.dropout)
        lora_form.addRow("Target modules", self.targets)
        self.lora.toggled.connect(self.lora_box.setEnabled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.full)
        layout.addWidget(self.lora)
        layout.addWidget(self.lora_box)
        layout.addStretch(1)

    def load(self, spec: dict[str, Any]) -> None:
        (self.lora if spec.get("method") == "lora" else self.full).setChecked(True)
        defaults = LORA_DEFAULTS.get(spec.get("recipe", ""), LORA_DEFAULTS["text_classification"])
        lora = {**defaults, **(spec.get("lora") or {})}
        self.r.setValue(int(lora["r"]))
        self.alpha.setValue(int(lora["alpha"]))
        self.dropout.setValue(float(lora["dropout"]))
        self.targets.setText(", ".join(lora.get("target_modules") or []))
        self.lora_box.setEnabled(self.lora.isChecked())

    def store(self, spec: dict[str, Any]) -> None:
        method = "lora" if self.lora.isChecked() else "full"
        if spec.get("method") != method:
            spec.setdefault("hyperparameters", {})["learning_rate"] = LEARNING_RATES[method]
        spec["method"] = method
        if method == "lora":
            targets = [t.strip() for t in self.targets.text().split(",") if t.strip()]
            spec["lora"] = {
                "r": self.r.value(),
                "alpha": self.alpha.value(),
                "dropout": round(self.dropout.value(), 4),
            }
            if targets:
                spec["lora"]["target_modules"] = targets
        else:
            spec.pop("lora", None)


class HyperparametersPage(SpecPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("How long and how fast?")
        self.setSubTitle("These defaults work for a first run; the advanced section has the rest.")
        self.name = QLineEdit()
        self.name.setObjectName("job-name")
        self.name.setPlaceholderText("A name for the job (optional)")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.max_steps = QSpinBox()
        self.max_steps.setObjectName("max-steps")
        self.max_steps.setRange(0, 10_000_000)
        self.max_steps.setSpecialValueText("by epochs")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        self.learning_rate = QLineEdit()
        self.learning_rate.setObjectName("learning-rate")
        self.max_seq_length = QSpinBox()
        self.max_seq_length.setRange(8, 131_072)
        self.gpus = QSpinBox()
        self.gpus.setObjectName("gpus")
        self.gpus.setRange(0, 16)
        self.gpus.setSpecialValueText("CPU")
        self.priority = QSpinBox()
        self.priority.setRange(-10, 10)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Epochs", self.epochs)
        form.addRow("Stop after steps", self.max_steps)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Max sequence length", self.max_seq_length)
        form.addRow("GPUs", self.gpus)
        form.addRow("Priority", self.priority)

        self.advanced = QGroupBox("Advanced")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        self.accumulation = QSpinBox()
        self.accumulation.setRange(1, 1024)
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setRange(0.0, 1.0)
        self.weight_decay.setSingleStep(0.01)
        self.warmup = QDoubleSpinBox()
        self.warmup.setRange(0.0, 0.5)
        self.warmup.setSingleStep(0.01)
        self.scheduler = QComboBox()
        self.scheduler.addItems(SCHEDULERS)
        self.precision = QComboBox()
        self.precision.addItems(PRECISIONS)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.eval_every = QSpinBox()
        self.eval_every.setRange(0, 10_000_000)
        self.eval_every.setSpecialValueText("at the end")
        self.checkpoint_every = QSpinBox()
        self.checkpoint_every.setRange(0, 10_000_000)
        self.checkpoint_every.setSpecialValueText("at the end and on stop")
        self.checkpointing = QCheckBox("Gradient checkpointing (less memory, ~30 % slower)")
        advanced = QFormLayout(self.advanced)
        advanced.addRow("Gradient accumulation", self.accumulation)
        advanced.addRow("Weight decay", self.weight_decay)
        advanced.addRow("Warm-up (fraction)", self.warmup)
        advanced.addRow("Schedule", self.scheduler)
        advanced.addRow("Precision", self.precision)
        advanced.addRow("Seed", self.seed)
        advanced.addRow("Evaluate every (steps)", self.eval_every)
        advanced.addRow("Checkpoint every (steps)", self.checkpoint_every)
        advanced.addRow(self.checkpointing)
        self.advanced.toggled.connect(
            lambda on: [w.setVisible(on) for w in self.advanced.findChildren(QWidget)]
        )
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #e03131")
        self.learning_rate.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advanced)
        layout.addWidget(self.problem)
        layout.addStretch(1)

    def _check(self) -> None:
        try:
            value = float(self.learning_rate.text())
            self.problem.setText("" if 0 < value < 1 else "The learning rate is between 0 and 1.")
        except ValueError:
            self.problem.setText("The learning rate is a number, like 5e-5.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return not self.problem.text()

    def load(self, spec: dict[str, Any]) -> None:
        hyper = spec.get("hyperparameters", {})
        wizard = self.wizard()
        self.name.setText(getattr(wizard, "job_name", "") if wizard else "")
        self.gpus.setValue(getattr(wizard, "gpus", 0) if wizard else 0)
        self.priority.setValue(getattr(wizard, "priority", 0) if wizard else 0)
        self.epochs.setValue(int(hyper.get("epochs", 1)))
        self.max_steps.setValue(int(hyper.get("max_steps") or 0))
        self.batch_size.setValue(int(hyper.get("batch_size", 8)))
        method = spec.get("method", "full")
        self.learning_rate.setText(f"{hyper.get('learning_rate', LEARNING_RATES[method]):g}")
        self.max_seq_length.setValue(int(hyper.get("max_seq_length", 256)))
        self.accumulation.setValue(int(hyper.get("gradient_accumulation", 1)))
        self.weight_decay.setValue(float(hyper.get("weight_decay", 0.0)))
        self.warmup.setValue(float(hyper.get("warmup_ratio", 0.0)))
        self.scheduler.setCurrentText(hyper.get("scheduler", "linear"))
        self.precision.setCurrentText(hyper.get("precision", "auto"))
        self.seed.setValue(int(hyper.get("seed", 42)))
        self.eval_every.setValue(int(hyper.get("eval_every", 0)))
        self.checkpoint_every.setValue(int(hyper.get("checkpoint_every", 0)))
        self.checkpointing.setChecked(bool(hyper.get("gradient_checkpointing", False)))
        for widget in self.advanced.findChildren(QWidget):
            widget.setVisible(self.advanced.isChecked())
        self._check()

    def store(self, spec: dict[str, Any]) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.job_name = self.name.text().strip()  # type: ignore[attr-defined]
            wizard.gpus = self.gpus.value()  # type: ignore[attr-defined]
            wizard.priority = self.priority.value()  # type: ignore[attr-defined]
        hyper = spec.setdefault("hyperparameters", {})
        hyper.update(
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            learning_rate=float(self.learning_rate.text()),
            max_seq_length=self.max_seq_length.value(),
            gradient_accumulation=self.accumulation.value(),
            weight_decay=round(self.weight_decay.value(), 6),
            warmup_ratio=round(self.warmup.value(), 6),
            scheduler=self.scheduler.currentText(),
            precision=self.precision.currentText(),
            seed=self.seed.value(),
            eval_every=self.eval_every.value(),
            checkpoint_every=self.checkpoint_every.value(),
            gradient_checkpointing=self.checkpointing.isChecked(),
        )
        if self.max_steps.value():
            hyper["max_steps"] = self.max_steps.value()
        else:
            hyper.pop("max_steps", None)


class ReviewPage(SpecPage):
    checked = Signal()

    def __init__(self, core) -> None:
        super().__init__()
        self._core = core
        self.setTitle("Review and submit")
        self.setSubTitle("Exactly what will run. Save it as a template to start from next time.")
        self.spec_text = QPlainTextEdit()
        self.spec_text.setObjectName("review-spec")
        self.spec_text.setReadOnly(True)
        self.command = QLineEdit()
        self.command.setObjectName("review-command")
        self.command.setReadOnly(True)
        self.verdict = QLabel()
        self.verdict.setObjectName("review-verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.save_button = QPushButton("Save as template…")
        self.save_button.clicked.connect(self._save_template)
        self._ok = False
        self._generation = 0
        form = QFormLayout()
        form.addRow("Command line", self.command)
        layout = QVBoxLayout(self)
        layout.addWidget(self.spec_text, 1)
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        wizard = self.wizard()
        spec = spec_template(wizard.spec)  # type: ignore[attr-defined]
        self.spec_text.setPlainText(json.dumps(spec, indent=2))
        self.command.setText(
            submit_command("spec.json", wizard.job_name, wizard.gpus, wizard.priority)  # type: ignore[attr-defined]
        )
        self._ok = False
        self.verdict.setText("Checking the dataset and the model…")
        self.completeChanged.emit()
        self._generation += 1
        generation, service, gpus = self._generation, self._core.jobs, wizard.gpus  # type: ignore[attr-defined]
        inventory = self._core.hardware.inventory

        def done(check) -> None:
            if generation != self._generation:
                return
            self._ok = True
            lines = ["<span style='color:#2f9e44'>Ready to submit.</span>"]
            if check.estimate is not None:
                lines.append(f"Memory: {check.estimate.explain()}.")
            lines.append(self._placement(gpus, inventory, check))
            lines += [f"<span style='color:#e8590c'>{escape(w)}</span>" for w in check.warnings]
            self.verdict.setText("<br>".join(lines))
            self.completeChanged.emit()
            self.checked.emit()

        def failed(error: BaseException, _text: str) -> None:
            if generation != self._generation:
                return
            hint = getattr(error, "hint", "")
            message = getattr(error, "message", str(error))
            self.verdict.setText(
                f"<span style='color:#e03131'>{escape(message)}</span>"
                + (f"<br>{escape(hint)}" if hint else "")
            )
            self.completeChanged.emit()
            self.checked.emit()

        run_task(
            lambda _s: service.precheck(spec, gpus), on_done=done, on_error=failed, context=self
        )

    @staticmethod
    def _placement(gpus: int, inventory, check) -> str:
        if not gpus:
            return "Runs on the CPU (no GPU asked for)."
        found = inventory.gpus()
        if not found:
            return f"Asks for {gpus} GPU(s); none was found, so it would wait in the queue."
        ranked = sorted(found, key=lambda g: -(g.memory_free or 0))[:gpus]
        names = ", ".join(
            f"GPU {g.index} ({(g.memory_free or 0) / GIB:.1f} GiB free)" for g in ranked
        )
        return f"The scheduler would start it on {names} when they are free."

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self._ok

    @property
    def verdict_text(self) -> str:
        return self.verdict.text()

    def _save_template(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the spec", "spec.json", "JSON (*.json)")
        if not path:
            return
        try:
            write_spec(json.loads(self.spec_text.toPlainText()), Path(path))
        except UserError as error:
            from views.crash_dialog import show_user_error

            show_user_error(self, error)


class NewJobWizard(QWizard):
    """Submits through `JobService.submit`; `submitted` carries the new job."""

    submitted = Signal(object)

    def __init__(
        self,
        core,
        spec: dict[str, Any] | None = None,
        parent: QWidget | None = None,
        *,
        name: str = "",
        gpus: int = 0,
        priority: int = 0,
    ) -> None:
        super().__init__(parent)
        self._core = core
        self.setWindowTitle("New training job")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Load template…")
        self.customButtonClicked.connect(lambda _which: self.load_template())
        self.setButtonText(QWizard.WizardButton.FinishButton, "Submit")
        self.resize(760, 640)
        self.spec: dict[str, Any] = copy.deepcopy(spec) if spec else default_spec()
        self.job_name, self.gpus, self.priority = name, gpus, priority
        self.recipe_page = RecipePage()
        self.dataset_page = DatasetPage(core)
        self.model_page = ModelPage()
        self.method_page = MethodPage()
        self.hyper_page = HyperparametersPage()
        self.review_page = ReviewPage(core)
        for page in (
            self.recipe_page,
            self.dataset_page,
            self.model_page,
            self.method_page,
            self.hyper_page,
            self.review_page,
        ):
            self.addPage(page)

    def load_template(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Load a spec", "", "JSON (*.json)")
            if not path:
                return
        try:
            self.spec = read_spec(Path(path))
        except UserError as error:
            from views.crash_dialog import show_user_error

            show_user_error(self, error)
            return
        self.restart()

    def accept(self) -> None:
        try:
            job = self._core.jobs.submit(
                spec_template(self.spec),
                name=self.job_name,
                gpus=self.gpus,
                priority=self.priority,
            )
        except UserError as error:
            self.review_page.verdict.setText(
                f"<span style='color:#e03131'>{escape(error.message)}</span>"
            )
            return
        self.submitted.emit(job)
        super().accept()

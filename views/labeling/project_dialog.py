"""A new labeling project: which dataset version, which column, and the classes (their
order gives the number keys)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from app.datasets.store import Dataset


class NewProjectDialog(QDialog):
    def __init__(self, datasets: list[Dataset], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New labeling project")
        self.datasets = datasets
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. review sentiment")
        self.dataset = QComboBox()
        for dataset in datasets:
            self.dataset.addItem(dataset.name)
        self.version = QSpinBox(minimum=1)
        self.column = QComboBox()
        self.classes = QLineEdit()
        self.classes.setPlaceholderText("negative, neutral, positive")
        self.classes.setToolTip("Comma-separated; the first gets key 1, the second key 2, …")
        self.hotkeys = QLineEdit()
        self.hotkeys.setPlaceholderText("1, 2, 3, … (or letters: n, u, p)")
        self.hotkeys.setToolTip("One key per class, in the classes' order; J and K move")
        self.labels_kind = QComboBox()
        self.labels_kind.setObjectName("labels-kind")
        self.problem = QLabel()
        self.problem.setProperty("role", "muted")
        self.problem.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Dataset", self.dataset)
        form.addRow("Version", self.version)
        form.addRow("Column to label", self.column)
        form.addRow("Classes", self.classes)
        form.addRow("Keys", self.hotkeys)
        form.addRow("Labels", self.labels_kind)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.dataset.currentIndexChanged.connect(self._dataset_chosen)
        for signal in (self.name.textChanged, self.classes.textChanged, self.hotkeys.textChanged):
            signal.connect(self._check)
        self._dataset_chosen(0)

    def _dataset_chosen(self, index: int) -> None:
        if not 0 <= index < len(self.datasets):
            return
        dataset = self.datasets[index]
        self.version.setMaximum(dataset.versions)
        self.version.setValue(dataset.current_version)
        self.column.clear()
        current = dataset.current
        images = current.kind == "images"
        for name, kind in current.schema:
            if (images and name == "image") or (not images and "string" in kind):
                self.column.addItem(name)
        preferred = self.column.findText("image" if images else "text")
        self.column.setCurrentIndex(max(preferred, 0))
        self.labels_kind.clear()
        self.labels_kind.addItem("One class per sample", "one")
        self.labels_kind.addItem("Several classes per sample", "several")
        if images:
            self.labels_kind.addItem("Boxes: rectangles with a class", "boxes")
        if not self.name.text():
            self.name.setPlaceholderText(f"{dataset.name} labels")
        self._check()

    def class_names(self) -> list[str]:
        return [part.strip() for part in self.classes.text().split(",") if part.strip()]

    def hotkey_list(self) -> list[str] | None:
        keys = [part.strip() for part in self.hotkeys.text().split(",") if part.strip()]
        return keys or None

    def project_name(self) -> str:
        return self.name.text().strip() or self.name.placeholderText()

    def _check(self) -> None:
        problem = ""
        if not self.datasets:
            problem = "Import a dataset first (the Datasets pane)."
        elif not self.column.count():
            problem = "This dataset has no text or image column to label."
        elif not self.class_names():
            problem = "Name the classes, separated by commas."
        elif len({c.casefold() for c in self.class_names()}) < len(self.class_names()):
            problem = "A class is named twice."
        elif self.hotkey_list() and len(self.hotkey_list() or []) != len(self.class_names()):
            problem = "Give one key per class, or leave the keys empty for 1, 2, 3…"
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

"""Step 3: a preset of the recipe's kind, a local Hugging Face folder, or a hub id."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
)

from app.jobs.spec_choices import PRESET_KINDS
from app.jobs.validation import RECIPE_MODEL_KIND
from views.jobs.wizard_pages.base import SpecPage


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
        self.network_button = QRadioButton("The Builder's network")
        self.network_button.setObjectName("builder-network")
        self.network_text = QLabel()
        self.network_text.setProperty("role", "muted")
        self._network: dict[str, Any] | None = None
        group = QButtonGroup(self)
        for button in (self.preset_button, self.local_button, self.hub_button, self.network_button):
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
        form.addRow(self.network_button, self.network_text)
        self._form = form
        form.setRowVisible(self.network_button, False)

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
        model = spec.get("model", {})
        builder = model.get("source") == "architecture" and isinstance(
            model.get("definition"), dict
        )
        self._form.setRowVisible(self.network_button, builder)
        for button in (self.preset_button, self.local_button, self.hub_button):
            self._form.setRowVisible(button, not builder)
        if builder:
            self._network = model["definition"]
            layers = len(model["definition"].get("layers") or [])
            self.network_text.setText(f"{layers} layers, from the Builder pane")
            self.network_button.setChecked(True)
            self._update()
            return
        wanted = RECIPE_MODEL_KIND.get(spec.get("recipe", ""))
        self.preset.clear()
        self.preset.addItems([name for name, kind in PRESET_KINDS.items() if kind == wanted])
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
        if self.network_button.isChecked() and self._network is not None:
            spec["model"] = {"source": "architecture", "definition": self._network}
        elif self.local_button.isChecked():
            spec["model"] = {"source": "local", "path": self.folder.text().strip()}
        elif self.hub_button.isChecked():
            spec["model"] = {"source": "hub", "repo_id": self.repo.text().strip()}
        else:
            spec["model"] = {"source": "preset", "name": self.preset.currentText()}

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        if self.network_button.isChecked():
            return self._network is not None
        if self.local_button.isChecked():
            return bool(self.folder.text().strip())
        if self.hub_button.isChecked():
            return "/" in self.repo.text()
        return bool(self.preset.currentText())

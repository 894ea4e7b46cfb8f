"""Step 1: the recipe decides the columns the dataset needs and which models fit."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QLabel,
    QRadioButton,
    QVBoxLayout,
)

from app.jobs.recipes import (
    RECIPES,
)
from app.jobs.spec_choices import PRESET_KINDS
from app.jobs.validation import RECIPE_MODEL_KIND
from views.jobs.wizard_pages.base import SpecPage


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
        # The Builder recipe is for a network from the Builder pane ("Train this…").
        from_builder = (spec.get("model") or {}).get("source") == "architecture"
        self.buttons["custom_architecture"].setEnabled(from_builder)
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

"""Step 4: full fine-tune or LoRA, with defaults per recipe."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from app.jobs.recipes import LORA_DEFAULTS
from views.jobs.wizard_pages.base import SpecPage


class MethodPage(SpecPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Full fine-tune or LoRA?")
        self.setSubTitle(
            "Full trains every weight. LoRA trains small adapters beside frozen weights: a "
            "fraction of the memory, and a small file to keep beside the base model."
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

"""Step 5: hyperparameters, with an advanced section, and how the job is queued."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from app.jobs.recipes import RECIPE_NAMES, model_kind, retune, tuning_key
from app.jobs.spec_choices import PRECISIONS, SCHEDULERS
from views.jobs.wizard_pages.base import SpecPage


class HyperparametersPage(SpecPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("How long and how fast?")
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

        # A tick box, and under it a frame shown only when ticked: a checkable group box
        # left an empty frame under its title when folded.
        self.advanced = QCheckBox("Advanced")
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
        self.eval_batches = QSpinBox()
        self.eval_batches.setRange(0, 10_000_000)
        self.eval_batches.setSpecialValueText("all")
        self.eval_batches.setToolTip("A cap keeps each evaluation of a large split short")
        self.data_workers = QSpinBox()
        self.data_workers.setObjectName("data-workers")
        self.data_workers.setRange(-1, 64)  # -1: the engine decides (engine/loader.py)
        self.data_workers.setSpecialValueText("automatic")
        self.data_workers.setToolTip(
            "Processes that decode images and tokenise text ahead of the training loop; "
            "automatic gives up to four to images and large text, none to small data; "
            "0 makes every batch on the training thread"
        )
        self.checkpoint_every = QSpinBox()
        self.checkpoint_every.setRange(0, 10_000_000)
        self.checkpoint_every.setSpecialValueText("at the end and on stop")
        self.checkpointing = QCheckBox("Gradient checkpointing (less memory, ~30 % slower)")
        # The rows live in one container that is shown or hidden whole: setVisible on each
        # child maps a combo box's popup as a stray top-level window.
        self.advanced_rows = QGroupBox()
        self.advanced_rows.setVisible(False)
        # Two columns: one would be squeezed below the fields' height in the wizard.
        advanced = QGridLayout(self.advanced_rows)
        fields = [
            ("Gradient accumulation", self.accumulation),
            ("Weight decay", self.weight_decay),
            ("Warm-up (fraction)", self.warmup),
            ("Schedule", self.scheduler),
            ("Precision", self.precision),
            ("Seed", self.seed),
            ("Evaluate every (steps)", self.eval_every),
            ("Evaluate on at most (batches)", self.eval_batches),
            ("Checkpoint every (steps)", self.checkpoint_every),
            ("Data workers", self.data_workers),
        ]
        for number, (text, field) in enumerate(fields):
            row, column = divmod(number, 2)
            label = QLabel(text)
            label.setBuddy(field)
            advanced.addWidget(label, row, column * 2)
            advanced.addWidget(field, row, column * 2 + 1)
        advanced.setColumnStretch(1, 1)
        advanced.setColumnStretch(3, 1)
        advanced.addWidget(self.checkpointing, len(fields) // 2, 0, 1, 4)
        self.advanced.toggled.connect(self.advanced_rows.setVisible)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #e03131")
        self.learning_rate.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advanced)
        layout.addWidget(self.advanced_rows)
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
        state = self.state()
        if state.tuned_for != tuning_key(spec):
            retune(spec)
            state.tuned_for = tuning_key(spec)
        kind = "a random-weight" if model_kind(spec.get("model")) == "random" else "a pretrained"
        self.setSubTitle(
            f"Epochs, batch size and learning rate are tuned for "
            f"{RECIPE_NAMES.get(spec.get('recipe', ''), 'this recipe').lower()} with "
            f"{'LoRA' if spec.get('method') == 'lora' else 'a full fine-tune'} of {kind} "
            "model; the advanced section has the rest."
        )
        hyper = spec.get("hyperparameters", {})
        self.name.setText(state.name)
        self.gpus.setValue(state.gpus)
        self.priority.setValue(state.priority)
        self.epochs.setValue(int(hyper.get("epochs", 1)))
        self.max_steps.setValue(int(hyper.get("max_steps") or 0))
        self.batch_size.setValue(int(hyper.get("batch_size", 8)))
        self.learning_rate.setText(f"{hyper.get('learning_rate', 1e-3):g}")
        self.max_seq_length.setValue(int(hyper.get("max_seq_length", 256)))
        self.accumulation.setValue(int(hyper.get("gradient_accumulation", 1)))
        self.weight_decay.setValue(float(hyper.get("weight_decay", 0.0)))
        self.warmup.setValue(float(hyper.get("warmup_ratio", 0.0)))
        self.scheduler.setCurrentText(hyper.get("scheduler", "linear"))
        self.precision.setCurrentText(hyper.get("precision", "auto"))
        self.seed.setValue(int(hyper.get("seed", 42)))
        self.eval_every.setValue(int(hyper.get("eval_every", 0)))
        self.eval_batches.setValue(int(hyper.get("eval_max_batches") or 0))
        workers = hyper.get("data_workers")
        self.data_workers.setValue(-1 if workers is None else int(workers))
        self.checkpoint_every.setValue(int(hyper.get("checkpoint_every", 0)))
        self.checkpointing.setChecked(bool(hyper.get("gradient_checkpointing", False)))
        self.advanced_rows.setVisible(self.advanced.isChecked())
        self._check()

    def store(self, spec: dict[str, Any]) -> None:
        state = self.state()
        state.name = self.name.text().strip()
        state.gpus = self.gpus.value()
        state.priority = self.priority.value()
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
        if self.eval_batches.value():
            hyper["eval_max_batches"] = self.eval_batches.value()
        else:
            hyper.pop("eval_max_batches", None)
        if self.data_workers.value() >= 0:
            hyper["data_workers"] = self.data_workers.value()
        else:
            hyper.pop("data_workers", None)

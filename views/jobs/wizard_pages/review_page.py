"""Step 6: the spec as JSON, the same job as a command, and the pre-submit check
(run in a worker) with its errors and warnings in place."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from app.errors import UserError
from app.jobs.precheck import Precheck
from app.jobs.recipes import (
    submit_command,
)
from app.jobs.spec_files import spec_template, write_spec
from app.tasks import run_task
from views.jobs.wizard_pages.base import SpecPage

GIB = 1024**3


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
        self.check: tuple[dict[str, Any], Precheck] | None = None
        """The spec last checked and what its check found (the submit reuses it)."""
        self._generation = 0
        form = QFormLayout()
        form.addRow("Command line", self.command)
        layout = QVBoxLayout(self)
        layout.addWidget(self.spec_text, 1)
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        state = self.state()
        spec = spec_template(state.spec)
        self.spec_text.setPlainText(json.dumps(spec, indent=2))
        self.command.setText(submit_command("spec.json", state.name, state.gpus, state.priority))
        self.check = None
        self._ok = False
        self.verdict.setText("Checking the dataset and the model…")
        self.completeChanged.emit()
        self._generation += 1
        generation, service, gpus = self._generation, self._core.jobs, state.gpus
        inventory = self._core.hardware.inventory

        def done(check) -> None:
            if generation != self._generation:
                return
            self._ok = True
            self.check = (spec, check)  # the submit reuses it: no second check on this thread
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

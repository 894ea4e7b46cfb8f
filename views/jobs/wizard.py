"""The new-job wizard: recipe → dataset → model → method → hyperparameters → review.

Each page reads its part of the spec from the one `WizardState` the wizard holds
and writes it back, so a template or a past job's spec ("clone and change") fills
every page, and the review shows exactly what is submitted.
"""

from __future__ import annotations

import copy
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QWidget,
    QWizard,
)

from app.errors import UserError
from app.jobs.recipes import (
    default_spec,
    format_example,
    label_warning,
)
from app.jobs.spec_files import read_spec, spec_template
from views.jobs.wizard_pages.base import WizardState
from views.jobs.wizard_pages.dataset_page import DatasetPage
from views.jobs.wizard_pages.hyper_page import HyperparametersPage
from views.jobs.wizard_pages.method_page import MethodPage
from views.jobs.wizard_pages.model_page import ModelPage
from views.jobs.wizard_pages.recipe_page import RecipePage
from views.jobs.wizard_pages.review_page import ReviewPage

__all__ = ["NewJobWizard", "WizardState", "format_example", "label_warning"]


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
        self.state = WizardState(
            copy.deepcopy(spec) if spec else default_spec(), name, gpus, priority
        )
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
            self.state.spec = read_spec(Path(path))
        except UserError as error:
            from views.crash_dialog import show_user_error

            show_user_error(self, error)
            return
        self.restart()

    @property
    def spec(self) -> dict[str, Any]:
        return self.state.spec

    @spec.setter
    def spec(self, spec: dict[str, Any]) -> None:
        self.state.spec = spec

    def accept(self) -> None:
        spec = spec_template(self.state.spec)
        reviewed = self.review_page.check
        try:
            job = self._core.jobs.submit(
                spec,
                name=self.state.name,
                gpus=self.state.gpus,
                priority=self.state.priority,
                checked=reviewed[1] if reviewed is not None and reviewed[0] == spec else None,
            )
        except UserError as error:
            self.review_page.verdict.setText(
                f"<span style='color:#e03131'>{escape(error.message)}</span>"
            )
            return
        self.submitted.emit(job)
        super().accept()

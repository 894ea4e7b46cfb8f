"""The wizard's shared state and the page every step is: load from the spec, store into it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import (
    QWizardPage,
)

from app.jobs.recipes import default_spec, tuning_key


@dataclass
class WizardState:
    """What the wizard builds: the spec, and how the job is queued."""

    spec: dict[str, Any] = field(default_factory=default_spec)
    name: str = ""
    gpus: int = 0
    """How many GPUs (0: the CPU)."""
    priority: int = 0
    tuned_for: tuple[str, str, str] | None = None
    """The (recipe, method, model kind) the hyperparameters were tuned for: when a choice
    changes it, the hyperparameters page starts again from the values tuned for the new one."""

    def __post_init__(self) -> None:
        if self.tuned_for is None:
            self.tuned_for = tuning_key(self.spec)


class SpecPage(QWizardPage):
    """A page that shows and edits part of the wizard's spec."""

    def state(self) -> WizardState:
        """The wizard's state (a page shown alone, in a test, gets a fresh one)."""
        state = getattr(self.wizard(), "state", None)
        if not isinstance(state, WizardState):
            state = self.__dict__.setdefault("_alone", WizardState())
        return state

    def wizard_spec(self) -> dict[str, Any]:
        return self.state().spec

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

"""The one question asked before anything is destroyed or stopped for good."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(
    parent: QWidget,
    title: str,
    question: str,
    consequence: str,
    button: str,
    on_confirmed: Callable[[], object],
    *,
    keep: str = "Cancel",
) -> QMessageBox:
    """A window-modal question whose safe answer is the default; `on_confirmed` runs only
    when the person clicks `button`. The text is plain (names are the person's, never
    markup). Returns the open box (tests click its buttons)."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, question, QMessageBox.StandardButton.Cancel, parent
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(consequence)
    destroy = box.addButton(button, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).setText(keep)  # the safe answer
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda clicked: on_confirmed() if clicked is destroy else None)
    box.open()
    return box

"""Showing errors: known ones plainly, bugs with their traceback to copy.

Errors may be raised on any thread; `ErrorPresenter.present` only emits a
signal, and the dialog opens on the GUI thread.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME
from app.errors import UserError, is_known
from views.widgets.open_folder import open_folder


class CrashDialog(QDialog):
    def __init__(
        self, error: BaseException, details: str, log_file: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} hit a bug")
        self.resize(720, 460)
        intro = QLabel(
            f"<b>Something went wrong inside {APP_NAME}.</b><br>"
            f"{type(error).__name__}: {escape(str(error))}<br><br>"
            "Your data is safe. The details below were also written to the log; "
            "please include them when you report this."
        )
        intro.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setFont(QFont("monospace"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        open_log = buttons.addButton("Open log folder", QDialogButtonBox.ButtonRole.ActionRole)
        open_log.clicked.connect(lambda: open_folder(self, log_file.parent))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)


def show_user_error(
    parent: QWidget | None, error: UserError | BaseException, title: str = "Cannot do that"
) -> None:
    """A known error, plainly; anything else is a bug and goes to the crash dialog."""
    if not is_known(error):
        sys.excepthook(type(error), error, error.__traceback__)
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        title,
        getattr(error, "message", str(error)),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)  # paths and names, never markup
    hint = getattr(error, "hint", "")
    if hint:
        box.setInformativeText(hint)
    if parent is None:  # nothing else holds a parentless box: keep it until it closes
        _open_boxes.add(box)
        box.finished.connect(lambda _r: _open_boxes.discard(box))
    box.open()


_open_boxes: set[QMessageBox] = set()


class ErrorPresenter(QObject):
    """The crash presenter for app.crash: thread-safe, one dialog at a time."""

    _presented = Signal(object, str)
    dialog_shown = Signal(QDialog)

    def __init__(self, log_file: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._log_file = log_file
        self._open: QDialog | None = None
        self.window: QWidget | None = None
        """The main window: the dialogs' parent when no other window is active."""
        self._presented.connect(self._on_presented)

    def present(self, error: BaseException, details: str) -> None:
        self._presented.emit(error, details)

    @Slot(object, str)
    def _on_presented(self, error: BaseException, details: str) -> None:
        parent = QApplication.activeWindow() or self.window
        if is_known(error):
            show_user_error(parent, error)
            return
        if self._open is not None and self._open.isVisible():
            return  # a cascade of the same failure: the first dialog says it
        dialog = CrashDialog(error, details, self._log_file, parent)
        self._open = dialog
        dialog.open()
        self.dialog_shown.emit(dialog)

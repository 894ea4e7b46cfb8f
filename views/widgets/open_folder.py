"""Open a folder in the file manager, or say where it is when there is none."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def open_folder(parent: QWidget | None, folder: Path) -> bool:
    """True when a file manager took it; otherwise a message with the path (copied to the
    clipboard), never silence."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return True
    QGuiApplication.clipboard().setText(str(folder))
    QMessageBox.information(
        parent,
        "No file manager",
        f"No file manager could open the folder. Its path is copied to the clipboard:\n\n{folder}",
    )
    return False

"""The Hardware pane's PyTorch box: where engines get torch, and the button to set it up."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QWidget

from app.runtime.location import RuntimeStatus
from app.runtime.service import current_status
from app.tasks import run_task
from views.runtime.dialog import RuntimeDialog


class RuntimeBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("PyTorch", parent)
        self.status = QLabel("Looking for PyTorch…")
        self.status.setWordWrap(True)
        self.button = QPushButton("Install PyTorch…")
        self.button.setToolTip("Install the PyTorch build for this machine's GPU driver")
        self.button.setVisible(False)
        self.button.clicked.connect(self.open_dialog)
        row = QHBoxLayout(self)
        row.addWidget(self.status, 1)
        row.addWidget(self.button)
        self.dialog: RuntimeDialog | None = None

    def refresh(self) -> None:
        run_task(lambda _state: current_status(), on_done=self._show, context=self)

    def _show(self, status: RuntimeStatus) -> None:
        self.status.setText(f"{status.describe()}.")
        # Only our own install can be replaced from here; the environment's is pip's.
        self.button.setVisible(status.source != "environment")
        self.button.setText("Reinstall PyTorch…" if status.ready else "Install PyTorch…")

    def open_dialog(self) -> RuntimeDialog:
        if self.dialog is None:
            self.dialog = RuntimeDialog(parent=self.window())
            self.dialog.installed.connect(lambda *_: self.refresh())
        self.dialog.open()
        return self.dialog

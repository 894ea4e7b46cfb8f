"""Set up PyTorch: shown at the first start of a build without it, and from Hardware.

The build is chosen for the NVIDIA driver (read in a worker), the person may pick another;
the install runs in its own process with a progress bar, Cancel keeps what was downloaded,
and an offline machine gets a message saying what to do instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.runtime.install import progress_amount
from app.runtime.install_task import RuntimeInstall
from app.runtime.service import bundled_wheelhouse, runtime_location
from app.runtime.variants import CUDA_BUILDS, DOWNLOAD_MB, Variant, detect_variant
from app.tasks import run_task

CHOICES = ("cpu", *(name for name, _ in CUDA_BUILDS))


class RuntimeDialog(QDialog):
    installed = Signal(str, str)
    """torch version, variant: engines can start now."""

    def __init__(self, wheelhouse: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up PyTorch")
        self.setMinimumWidth(520)
        self._wheelhouse = wheelhouse if wheelhouse is not None else bundled_wheelhouse()
        self._install: RuntimeInstall | None = None

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.build = QComboBox()
        for name in CHOICES:
            self.build.addItem(f"{name}  (about {DOWNLOAD_MB[name]:,} MB)", name)
        self.build.setEnabled(False)
        self.reason = QLabel("Reading the NVIDIA driver…")
        self.reason.setWordWrap(True)
        self.reason.setProperty("role", "muted")
        form = QFormLayout()
        form.addRow("Build:", self.build)
        form.addRow("", self.reason)
        self.phase = QLabel()
        self.phase.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.message = QLabel()
        self.message.setObjectName("runtime-message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.install_button = QPushButton("Install")
        self.install_button.setDefault(True)
        self.buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText("Later")
        self.install_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self._on_close_clicked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        if self._wheelhouse is None:
            layout.addLayout(form)
        layout.addWidget(self.phase)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._describe()

    def _describe(self) -> None:
        folder = runtime_location().root
        if self._wheelhouse is not None:
            self.intro.setText(
                "SparkTrainer trains with PyTorch, which this installer carries: it is "
                f"unpacked into {folder} (nothing is downloaded)."
            )
            return
        self.intro.setText(
            "SparkTrainer trains with PyTorch, which is installed once into "
            f"{folder}. Everything but training works without it. The download resumes "
            "if it is interrupted."
        )
        run_task(lambda _state: detect_variant(), on_done=self._on_detected, context=self)

    def _on_detected(self, variant: Variant) -> None:
        index = self.build.findData(variant.name)
        if index >= 0:
            self.build.setCurrentIndex(index)
        self.reason.setText(f"{variant.reason}.")
        self.build.setEnabled(self._install is None)

    @property
    def offline_bundle(self) -> bool:
        return self._wheelhouse is not None

    def variant(self) -> str | None:
        return None if self._wheelhouse is not None else str(self.build.currentData())

    def start(self) -> None:
        """Install (or retry): a resumed download starts where the last one stopped."""
        if self._install is not None and self._install.running():
            return
        self.message.clear()
        self.build.setEnabled(False)
        self.install_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.phase.setText("Starting…")
        install = self._install = RuntimeInstall(self.variant(), self._wheelhouse, self)
        install.progress.connect(self._on_progress)
        install.finished.connect(self._on_finished)
        install.failed.connect(self._on_failed)

    def _on_progress(self, phase: str, done: int, total: int) -> None:
        if self.message.text():
            self.message.clear()
        if total:
            self.phase.setText(f"{phase} — {progress_amount(phase, done, total)}")
            # QProgressBar is an int bar: a share in thousandths never overflows.
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * done / total))
        else:
            self.phase.setText(phase)
            self.bar.setRange(0, 0)

    def _on_finished(self, torch: str, variant: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.phase.setText(f"PyTorch {torch} ({variant}) is installed. Training is ready.")
        self.install_button.setVisible(False)
        self.close_button.setText("Close")
        self.close_button.setEnabled(True)  # a Cancel that came too late
        self.installed.emit(torch, variant)

    def _on_failed(self, kind: str, error: str, hint: str) -> None:
        self.bar.setVisible(False)
        self.phase.clear()
        if kind == "cancelled":
            self.message.setText("Cancelled. What was downloaded is kept for the next try.")
        else:
            self.message.setText(f"{error}\n{hint}".strip())
        self.message.setProperty("role", "" if kind == "cancelled" else "warning")
        self.message.style().polish(self.message)
        self.adjustSize()  # the message may be several lines: nothing is cut off
        self.install_button.setText("Retry" if kind != "cancelled" else "Install")
        self.install_button.setEnabled(True)
        self.build.setEnabled(self._wheelhouse is None)
        self.close_button.setText("Later")
        self.close_button.setEnabled(True)

    def _on_close_clicked(self) -> None:
        if self._install is not None and self._install.running():
            self.close_button.setEnabled(False)  # until the installer has ended
            self._install.cancel()
            return
        self.reject()

    def reject(self) -> None:
        """Escape or the title bar's close: an install that runs is cancelled first."""
        if self._install is not None and self._install.running():
            self._install.cancel()
        super().reject()

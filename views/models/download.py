"""Download from the Hub: the dialog that asks which model, and the downloads it starts.

The token is read from the secret store off the GUI thread and given to the engine
process in its environment; the download runs in that process (huggingface_hub's own
client), shown in a row of the pane with its bytes and Cancel. A cancelled or failed
download keeps its finished files, and asking for the same model again resumes it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.credentials.service import HUGGINGFACE, CredentialService
from app.errors import UserError
from app.models.hub import HubDownload, hub_folder, parse_repo_id, partial_bytes
from app.models.registry import ModelRegistry
from app.tasks import run_task
from app.units import human_bytes
from views.crash_dialog import show_user_error
from views.models.task_row import TaskRow


class DownloadDialog(QDialog):
    """Which model and revision; says when an unfinished download of it will resume."""

    def __init__(self, models_root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Download from the Hugging Face Hub")
        self._models_root = models_root
        self.repo = QLineEdit()
        self.repo.setPlaceholderText("owner/name or https://huggingface.co/owner/name")
        self.revision = QLineEdit()
        self.revision.setPlaceholderText("main")
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.start_over = QCheckBox("Start over instead of resuming")
        form = QFormLayout()
        form.addRow("Model:", self.repo)
        form.addRow("Revision:", self.revision)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Download")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            QLabel(
                "Only safetensors weights are fetched; models that need their own Python "
                "code are refused. A private or gated model needs a Hugging Face token "
                "(Settings → Accounts and tokens)."
            )
        )
        layout.addWidget(self.notice)
        layout.addWidget(self.start_over)
        layout.addWidget(self.buttons)
        self.repo.textChanged.connect(self._update)
        self._update()
        self.resize(520, self.sizeHint().height())

    def repo_id(self) -> str | None:
        try:
            return parse_repo_id(self.repo.text())
        except UserError:
            return None

    def _update(self) -> None:
        repo_id = self.repo_id()
        held = partial_bytes(hub_folder(self._models_root, repo_id)) if repo_id else 0
        self.notice.setText(
            f"{human_bytes(held)} of an unfinished download of {repo_id} are here: it "
            "resumes from the files already finished."
            if held
            else ""
        )
        self.notice.setVisible(bool(held))
        self.start_over.setVisible(bool(held))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(repo_id is not None)


class HubDownloads(QObject):
    """The pane's downloads: one per model at a time, several models at once."""

    registered = Signal(int)
    """The new model's id, once its download is checked and registered."""

    def __init__(
        self,
        registry: ModelRegistry,
        credentials: CredentialService,
        rows: QBoxLayout,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.registry, self.credentials = registry, credentials
        self.rows, self.window = rows, parent
        self.running: dict[str, HubDownload] = {}

    def ask(self) -> None:
        dialog = DownloadDialog(self.registry.paths.models, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        start_over = not dialog.start_over.isHidden() and dialog.start_over.isChecked()
        revision = dialog.revision.text().strip() or None
        self.start(dialog.repo.text(), revision, start_over=start_over)

    def start(self, text: str, revision: str | None, *, start_over: bool = False) -> None:
        try:
            repo_id, folder = self.registry.download_target(text)
        except UserError as error:
            show_user_error(self.window, error, "Cannot download")
            return
        if repo_id in self.running:
            show_user_error(self.window, UserError(f"{repo_id} is downloading already."))
            return
        if start_over:
            self.registry.discard_partial_download(repo_id)
        run_task(
            lambda _s: self._secrets(),
            on_done=lambda secrets: self._launch(repo_id, folder, revision, secrets),
            on_error=lambda error, _trace: show_user_error(self.window, error, "Cannot download"),
            context=self,
        )

    def _secrets(self) -> dict[str, str]:
        """The token, if one is stored (off the GUI thread: the keyring may be slow)."""
        if not self.credentials.probed:  # the window's own probe has not ended yet
            self.credentials.probe(timeout=10)
        return self.credentials.job_environment([HUGGINGFACE])

    def _launch(
        self, repo_id: str, folder: Path, revision: str | None, secrets: dict[str, str]
    ) -> None:
        download = self.running[repo_id] = HubDownload(repo_id, folder, revision, secrets, self)
        row = TaskRow(download, f"Downloading {repo_id}", in_bytes=True)
        self.rows.addWidget(row)
        download.finished.connect(lambda _folder: self._downloaded(repo_id, folder, row))
        download.failed.connect(lambda message: self._failed(repo_id, message, row))

    def _end(self, repo_id: str, row: TaskRow) -> None:
        self.running.pop(repo_id).deleteLater()
        row.deleteLater()

    def _downloaded(self, repo_id: str, folder: Path, row: TaskRow) -> None:
        self._end(repo_id, row)
        registry = self.registry
        run_task(
            lambda _s: registry.register_download(repo_id, folder),
            on_done=lambda model: self.registered.emit(model.id),
            on_error=lambda error, _trace: show_user_error(self.window, error, "Cannot add"),
            context=self,
        )

    def _failed(self, repo_id: str, message: str, row: TaskRow) -> None:
        cancelled = self.running[repo_id].cancelled
        self._end(repo_id, row)
        if not cancelled:
            QMessageBox.warning(self.window, f"The download of {repo_id} failed", message)

    def cancel_all(self) -> None:
        for download in list(self.running.values()):
            download.cancel()

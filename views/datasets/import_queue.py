"""Imports one after another: drops, dialogs and samples queue here, each runs as the
pane's long work with "2 of 3" in the strip, and a failure or a cancel stops the rest.
A file with a bad line is offered again with such lines skipped (and named)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.datasets.read_result import BadLine
from app.datasets.samples import import_sample
from app.datasets.store import DatasetStore, DatasetVersion
from views.datasets.models import human_bytes
from views.datasets.task_strip import LongWork

IMPORT_FILTER = (
    "Datasets (*.csv *.tsv *.json *.jsonl *.parquet *.txt *.zip *.tar *.tar.gz *.tgz)"
    ";;All files (*)"
)


def ask_for_files(parent: QWidget, chosen: Callable[[list[Path]], None]) -> None:
    """The file dialog, window-modal; `chosen` gets the files."""
    dialog = QFileDialog(parent, "Import a dataset")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setNameFilter(IMPORT_FILTER)
    dialog.filesSelected.connect(lambda files: chosen([Path(f) for f in files]))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def ask_for_folder(parent: QWidget, chosen: Callable[[list[Path]], None]) -> None:
    folder = QFileDialog.getExistingDirectory(parent, "Import a folder")
    if folder:
        chosen([Path(folder)])


class ImportQueue(QObject):
    imported = Signal(object)
    """The new `DatasetVersion`, after the person was told."""
    offered = Signal(object)
    """The message box that offers to import a file again skipping its bad lines."""

    def __init__(self, work: LongWork, notifications: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work, self._notifications = work, notifications
        self._queue: list[tuple[Path, bool]] = []
        """Paths to import, each with whether its bad lines are skipped."""
        self._stopped: list[tuple[Path, bool]] = []
        self._total = 0
        self._store: DatasetStore | None = None
        work.ended.connect(self._on_ended)

    def add(self, store: DatasetStore, paths: list[Path], *, skip_bad_lines: bool = False) -> None:
        self._store = store
        items = [(path, skip_bad_lines) for path in paths]
        if self._work.busy:
            self._queue.extend(items)
            self._total += len(items)
            return
        self._queue, self._total = items, len(items)
        self._next()

    def sample(self, store: DatasetStore, key: str) -> None:
        self._work.run(
            "Making the sample…", lambda state: import_sample(store, key, state), self._done
        )

    def _on_ended(self, success: bool) -> None:
        if not success:  # a failed or cancelled import stops the ones after it
            self._stopped, self._queue = self._queue, []

    def _next(self) -> None:
        store = self._store
        if not self._queue or store is None:
            return
        path, skip = self._queue.pop(0)
        number = self._total - len(self._queue)
        prefix = f"{number} of {self._total}: " if self._total > 1 else ""
        self._work.run(
            f"{prefix}Importing {path.name}…",
            lambda state: store.import_path(path, "", state, skip_bad_lines=skip),
            self._done,
            prefix,
            on_failed=lambda error: self._offer_to_skip(path, error),
        )

    def _offer_to_skip(self, path: Path, error: BaseException) -> bool:
        """A bad line: say which, and offer to import the rest of the file (and the files
        queued after it) with such lines skipped and named."""
        if not isinstance(error, BadLine):
            return False
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Could not import",
            error.message,
            QMessageBox.StandardButton.Cancel,
            self._work.window(),
        )
        box.setInformativeText(
            "Skip the lines that cannot be read? The import's notes will name them."
        )
        skip = box.addButton("Skip bad lines and import", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(skip)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rest, self._stopped = self._stopped, []

        def answered() -> None:
            if box.clickedButton() is skip and self._store is not None:
                self._queue = [(path, True), *rest]
                self._total = len(self._queue)
                self._next()

        box.finished.connect(answered)
        box.open()
        self.offered.emit(box)
        return True

    def _done(self, version: DatasetVersion) -> None:
        notes = " ".join(version.notes)
        self._notifications.notify(
            f"Imported {version.dataset_name}",
            f"{version.rows:,} rows, {human_bytes(version.bytes)}. {notes}".strip(),
            source="datasets",
        )
        self.imported.emit(version)
        self._next()

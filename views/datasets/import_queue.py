"""Imports one after another: drops, dialogs and samples queue here, each runs as the
pane's long work with "2 of 3" in the strip, and a failure or a cancel stops the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

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

    def __init__(self, work: LongWork, notifications: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work, self._notifications = work, notifications
        self._queue: list[Path] = []
        self._total = 0
        self._store: DatasetStore | None = None
        work.ended.connect(self._on_ended)

    def add(self, store: DatasetStore, paths: list[Path]) -> None:
        self._store = store
        if self._work.busy:
            self._queue.extend(paths)
            self._total += len(paths)
            return
        self._queue, self._total = list(paths), len(paths)
        self._next()

    def sample(self, store: DatasetStore, key: str) -> None:
        self._work.run(
            "Making the sample…", lambda state: import_sample(store, key, state), self._done
        )

    def _on_ended(self, success: bool) -> None:
        if not success:
            self._queue.clear()  # a failed or cancelled import stops the ones after it

    def _next(self) -> None:
        store = self._store
        if not self._queue or store is None:
            return
        path = self._queue.pop(0)
        number = self._total - len(self._queue)
        prefix = f"{number} of {self._total}: " if self._total > 1 else ""
        self._work.run(
            f"{prefix}Importing {path.name}…",
            lambda state: store.import_path(path, "", state),
            self._done,
            prefix,
        )

    def _done(self, version: DatasetVersion) -> None:
        notes = " ".join(version.notes)
        self._notifications.notify(
            f"Imported {version.dataset_name}",
            f"{version.rows:,} rows, {human_bytes(version.bytes)}. {notes}".strip(),
            source="datasets",
        )
        self.imported.emit(version)
        self._next()

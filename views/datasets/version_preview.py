"""The Preview tab: a table version's rows (a screenful read at a time) or an image
version's thumbnail grid. Opening a version reads its file in a worker; a version
shown later wins over one still opening."""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QListView, QStackedWidget, QWidget

from app.datasets.row_window import RowWindow
from app.datasets.store import DatasetVersion
from app.tasks import run_task
from views.crash_dialog import show_user_error
from views.datasets.preview_table import PreviewTable
from views.datasets.thumbnails import THUMB_SIZE, ThumbnailCache, ThumbnailModel


class VersionPreview(QStackedWidget):
    def __init__(self, thumbnails: ThumbnailCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._version: DatasetVersion | None = None
        self.table = PreviewTable()
        self.images = QListView()
        self.images.setObjectName("image-grid")
        self.images.setViewMode(QListView.ViewMode.IconMode)
        self.images.setResizeMode(QListView.ResizeMode.Adjust)
        self.images.setUniformItemSizes(True)
        self.images.setLayoutMode(QListView.LayoutMode.Batched)
        self.images.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.images.setGridSize(QSize(THUMB_SIZE + 20, THUMB_SIZE + 34))
        self.images.setMovement(QListView.Movement.Static)
        self.thumbnails = ThumbnailModel(thumbnails, self)
        self.images.setModel(self.thumbnails)
        self.addWidget(self.table)
        self.addWidget(self.images)

    def show_version(self, version: DatasetVersion | None) -> None:
        self._version = version
        if version is None:
            self.table.set_source(None)
            return
        path = version.data_file
        if version.kind == "images":
            self.setCurrentWidget(self.images)
            run_task(
                lambda _s: pq.read_table(path, columns=["image", "label"]).to_pydict(),
                on_done=lambda data: self._show_images(version, data),
                on_error=lambda error, _t: show_user_error(self, error),
                context=self,
            )
        else:
            self.setCurrentWidget(self.table)
            run_task(
                lambda _s: RowWindow(path),
                on_done=lambda window: self._show_rows(version, window),
                on_error=lambda error, _t: show_user_error(self, error),
                context=self,
            )

    def _show_rows(self, version: DatasetVersion, window: RowWindow) -> None:
        if version is self._version:
            self.table.set_source(window)

    def _show_images(self, version: DatasetVersion, data: dict[str, list[Any]]) -> None:
        if version is self._version:
            self.thumbnails.set_images(version.path, data["image"], data["label"])

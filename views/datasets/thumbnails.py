"""The image grid: thumbnails decoded off the GUI thread, cached in memory and on disk.

QImage may be used from any thread (QPixmap may not), so a worker reads and
scales with QImageReader, saves a small PNG into the cache folder (a stored
version never changes, so its path and size name the thumbnail for good) and
hands the QImage back by a queued signal. The model asks only for the items
the view paints.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QImage, QImageReader, QPixmap

Index = QModelIndex | QPersistentModelIndex
THUMB_SIZE = 128
MEMORY_ITEMS = 1500


class _Signals(QObject):
    loaded = Signal(str, QImage)


class _Load(QRunnable):
    def __init__(self, source: str, cached: Path, signals: _Signals) -> None:
        super().__init__()
        self.source, self.cached, self.signals = source, cached, signals

    def run(self) -> None:
        image = QImage()
        if self.cached.exists():
            image.load(str(self.cached))
        if image.isNull():
            reader = QImageReader(self.source)
            reader.setAutoTransform(True)
            size = reader.size()
            if size.isValid():
                reader.setScaledSize(
                    size.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio)
                )
            image = reader.read()
            if not image.isNull():
                self.cached.parent.mkdir(parents=True, exist_ok=True)
                partial = self.cached.with_suffix(".partial.png")
                if image.save(str(partial), "PNG"):
                    partial.replace(self.cached)
        self.signals.loaded.emit(self.source, image)


class ThumbnailCache(QObject):
    """Pixmaps by file path; `request` starts a load and `ready` says when it is there."""

    ready = Signal(str)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._failed: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)

    def get(self, source: str) -> QPixmap | None:
        pixmap = self._pixmaps.get(source)
        if pixmap is not None:
            self._pixmaps.move_to_end(source)
            return pixmap
        if source not in self._pending and source not in self._failed:
            self._pending.add(source)
            self._pool.start(_Load(source, self._cache_path(source), self._signals))
        return None

    def failed(self, source: str) -> bool:
        return source in self._failed

    def _cache_path(self, source: str) -> Path:
        path = Path(source)
        try:
            stamp = f"{path.stat().st_size}-{path.stat().st_mtime_ns}"
        except OSError:
            stamp = ""
        key = hashlib.sha1(f"{source}|{stamp}|{THUMB_SIZE}".encode()).hexdigest()
        return self.folder / key[:2] / f"{key}.png"

    def _on_loaded(self, source: str, image: QImage) -> None:
        self._pending.discard(source)
        if image.isNull():
            self._failed.add(source)
        else:
            self._pixmaps[source] = QPixmap.fromImage(image)
            while len(self._pixmaps) > MEMORY_ITEMS:
                self._pixmaps.popitem(last=False)
        self.ready.emit(source)

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """For tests and shutdown."""
        return self._pool.waitForDone(timeout_ms)


class ThumbnailModel(QAbstractListModel):
    """One item per image of a version: the thumbnail, with the label as its text."""

    def __init__(self, cache: ThumbnailCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache = cache
        self._paths: list[str] = []
        self._labels: list[str] = []
        self._rows: dict[str, int] = {}
        self._placeholder = QPixmap(THUMB_SIZE, THUMB_SIZE)
        self._placeholder.fill(Qt.GlobalColor.transparent)
        cache.ready.connect(self._on_ready)

    def set_images(self, root: Path, images: list[str], labels: list[str | None]) -> None:
        self.beginResetModel()
        self._paths = [str(root / image) for image in images]
        self._labels = [label or "" for label in labels]
        self._rows = {path: row for row, path in enumerate(self._paths)}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._paths)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        path = self._paths[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._labels[index.row()] or Path(path).name
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap = self._cache.get(path)
            return self._placeholder if pixmap is None else pixmap
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{Path(path).name}\n{self._labels[index.row()] or 'no label'}"
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(THUMB_SIZE + 16, THUMB_SIZE + 28)
        return None

    def _on_ready(self, source: str) -> None:
        row = self._rows.get(source)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

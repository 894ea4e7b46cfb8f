"""The Datasets pane: import by drop or dialog, the list, and a version's preview,
statistics and history.

Every action is a `DatasetStore` method run through `run_task`; the pane only
shows progress, asks before destroying, and reports errors by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from PySide6.QtCore import QItemSelectionModel, QSize, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.datasets.row_window import RowWindow
from app.datasets.samples import SAMPLES, import_sample
from app.datasets.store import Dataset, DatasetStore, DatasetVersion
from app.errors import UserError
from app.tasks import LONG, Progress, TaskHandle, TaskState, run_task
from views.crash_dialog import show_user_error
from views.datasets.dialogs import FilterDialog, SplitDialog
from views.datasets.models import DatasetListModel, SortRole, VersionModel, human_bytes
from views.datasets.preview_table import PreviewTable
from views.datasets.statistics_view import StatisticsView
from views.datasets.thumbnails import THUMB_SIZE, ThumbnailCache, ThumbnailModel
from views.widgets.pane_frame import EmptyState, PaneFrame

log = logging.getLogger(__name__)

IMPORT_FILTER = (
    "Datasets (*.csv *.tsv *.json *.jsonl *.parquet *.txt *.zip *.tar *.tar.gz *.tgz)"
    ";;All files (*)"
)
EXPORT_FORMATS = {
    "CSV (*.csv)": "csv",
    "JSON Lines (*.jsonl)": "jsonl",
    "Parquet (*.parquet)": "parquet",
}


def local_paths(mime) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class TaskStrip(QWidget):
    """What runs now: a message, a progress bar by bytes or rows, and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("task-strip")
        self.message = QLabel()
        # A long file name must not make the window wider.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(320)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def start(self, message: str) -> None:
        self.message.setText(message)
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()

    def progress(self, progress: Progress, prefix: str = "") -> None:
        fraction = progress.fraction
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
        if progress.message:
            self.message.setText(f"{prefix}{progress.message}")


class DatasetsPane(PaneFrame):
    dropped = Signal(list)
    version_shown = Signal(object)
    """The version whose preview, statistics and history the tabs now show."""
    task_finished = Signal()

    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__(
            "Datasets",
            "Drop CSV, TSV, JSON, JSONL, Parquet, text, image folders or archives anywhere "
            "in the window. Every change makes a new checksummed version; none is ever altered.",
            parent,
        )
        self.setAcceptDrops(True)
        self.dropped.connect(self.import_paths)
        self._core = core
        self._store: DatasetStore | None = None
        self._task: TaskHandle | None = None
        self._queue: list[Path] = []
        self._queue_total = 0
        self._version: DatasetVersion | None = None
        self._thumbs = ThumbnailCache(core.paths.cache / "thumbnails", self)

        # A tool bar, not a row of buttons: in a narrow window it folds into "»".
        toolbar = QToolBar()
        toolbar.setObjectName("datasets-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_action = QAction("Import…", self)
        self.import_action.setToolTip("Import files (Ctrl+I); the arrow imports a folder")
        self.import_action.triggered.connect(self.choose_import)
        self.import_folder_action = QAction("Import a folder…", self)
        self.import_folder_action.triggered.connect(self.choose_folder)
        import_menu = QMenu(self)
        import_menu.addAction(self.import_action)
        import_menu.addAction(self.import_folder_action)
        self.import_action.setMenu(import_menu)
        self.sample_action = QAction("Try a sample", self)
        self.sample_action.setMenu(self._sample_menu())
        self.filter_action = QAction("Clean up…", self)
        self.filter_action.triggered.connect(self.open_filter)
        self.split_action = QAction("Split…", self)
        self.split_action.setToolTip("Add a train / validation / test split column")
        self.split_action.triggered.connect(self.open_split)
        self.export_action = QAction("Export…", self)
        self.export_action.setToolTip("Write the shown version as CSV, JSON Lines or Parquet")
        self.export_action.triggered.connect(self.choose_export)
        self.delete_action = QAction("Delete…", self)
        self.delete_action.setToolTip("Delete the dataset and all its versions (Del)")
        self.delete_action.triggered.connect(self.confirm_delete)
        toolbar.addAction(self.import_action)
        toolbar.addAction(self.sample_action)
        for action in (self.import_action, self.sample_action):
            button = toolbar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setPopupMode(
                    QToolButton.ToolButtonPopupMode.MenuButtonPopup
                    if action is self.import_action
                    else QToolButton.ToolButtonPopupMode.InstantPopup
                )
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        for action in (self.filter_action, self.split_action, self.export_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.delete_action)
        self.body.addWidget(toolbar)

        self.strip = TaskStrip()
        self.strip.cancel_button.clicked.connect(self.cancel_task)
        self.body.addWidget(self.strip)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._empty_state())
        self.stack.addWidget(self._content())
        self.body.addWidget(self.stack, 1)

        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.confirm_delete)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        self._update_actions()
        core.when_database_ready(lambda _db: self._on_database())

    # -- building --------------------------------------------------------------------------

    def _sample_menu(self) -> QMenu:
        menu = QMenu(self)
        for item in SAMPLES:
            action = menu.addAction(f"{item.name}: {item.description}")
            action.triggered.connect(lambda _c=False, key=item.key: self.import_sample(key))
        return menu

    def _empty_state(self) -> QWidget:
        widget = EmptyState(
            "No datasets yet",
            "Drop a file or a folder here, or choose Import…. Or start with a sample made "
            "for trying things out:",
        )
        widget.setObjectName("datasets-empty")
        self.sample_buttons: dict[str, QPushButton] = {}
        for item in SAMPLES:
            button = QPushButton(f"Try a sample: {item.name}")
            button.setToolTip(item.description)
            button.clicked.connect(lambda _c=False, key=item.key: self.import_sample(key))
            self.sample_buttons[item.key] = widget.add_action(button)
        return widget

    def _content(self) -> QWidget:
        self.datasets = DatasetListModel(self)
        self.sorted = QSortFilterProxyModel(self)
        self.sorted.setSourceModel(self.datasets)
        self.sorted.setSortRole(SortRole)
        self.table = QTableView()
        self.table.setObjectName("dataset-list")
        self.table.setModel(self.sorted)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._on_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        self.tabs = QTabWidget()
        self.preview = PreviewTable()
        self.images = QListView()
        self.images.setObjectName("image-grid")
        self.images.setViewMode(QListView.ViewMode.IconMode)
        self.images.setResizeMode(QListView.ResizeMode.Adjust)
        self.images.setUniformItemSizes(True)
        self.images.setLayoutMode(QListView.LayoutMode.Batched)
        self.images.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.images.setGridSize(QSize(THUMB_SIZE + 20, THUMB_SIZE + 34))
        self.images.setMovement(QListView.Movement.Static)
        self.thumbnails = ThumbnailModel(self._thumbs, self)
        self.images.setModel(self.thumbnails)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview)
        self.preview_stack.addWidget(self.images)
        self.statistics = StatisticsView()
        self.tabs.addTab(self.preview_stack, "Preview")
        self.tabs.addTab(self.statistics, "Statistics")
        self.tabs.addTab(self._history(), "Versions")

        self.version_label = QLabel()
        self.version_label.setObjectName("version-label")
        self.version_label.setWordWrap(True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.version_label)
        right_layout.addWidget(self.tabs, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([160, 480])
        return splitter

    def _history(self) -> QWidget:
        self.versions = VersionModel(self)
        self.version_table = QTableView()
        self.version_table.setObjectName("version-history")
        self.version_table.setModel(self.versions)
        self.version_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.version_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.version_table.verticalHeader().hide()
        self.version_table.setWordWrap(False)
        header = self.version_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.version_table.doubleClicked.connect(lambda _i: self.show_selected_version())
        self.version_table.selectionModel().selectionChanged.connect(
            lambda *_: self._update_actions()
        )
        self.show_version_button = QPushButton("Show")
        self.show_version_button.setToolTip("Preview this version (double-click)")
        self.show_version_button.clicked.connect(self.show_selected_version)
        self.current_button = QPushButton("Make current")
        self.current_button.setToolTip("New jobs and actions use the current version")
        self.current_button.clicked.connect(self.make_selected_current)
        self.diff_button = QPushButton("Compare")
        self.diff_button.setToolTip("Compare two selected versions, or one with its parent")
        self.diff_button.clicked.connect(self.compare_selected)
        self.diff_result = QLabel()
        self.diff_result.setObjectName("diff-result")
        self.diff_result.setWordWrap(True)
        self.diff_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_version_button)
        buttons.addWidget(self.current_button)
        buttons.addWidget(self.diff_button)
        buttons.addStretch(1)
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.version_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.diff_result)
        return widget

    # -- dropping ---------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)

    # -- state -----------------------------------------------------------------------------

    @property
    def store(self) -> DatasetStore | None:
        return self._store

    @property
    def busy(self) -> bool:
        return self._task is not None

    def _on_database(self) -> None:
        self._store = self._core.datasets
        # Importing needs only the store, not the first list: enable it now.
        self._update_actions()
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        store = self._store
        if store is None:
            return
        select = select or (self.selected_dataset().name if self.selected_dataset() else None)
        run_task(
            lambda _s: store.list(),
            on_done=lambda rows: self._show_list(rows, select),
            on_error=lambda error, _t: show_user_error(self, error),
            context=self,
        )

    def _show_list(self, rows: list[Dataset], select: str | None) -> None:
        self.datasets.set_rows(rows)
        self.stack.setCurrentIndex(1 if rows else 0)
        if not rows:
            self._show_version(None)
        else:
            row = self.datasets.find(select) if select else -1
            self._select_row(max(row, 0))
        self._update_actions()

    def _select_row(self, source_row: int) -> None:
        index = self.sorted.mapFromSource(self.datasets.index(source_row, 0))
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._on_selected()

    def selected_dataset(self) -> Dataset | None:
        if not hasattr(self, "table"):
            return None
        index = self.sorted.mapToSource(self.table.currentIndex())
        return self.datasets.row(index)

    @property
    def shown_version(self) -> DatasetVersion | None:
        return self._version

    def _on_selected(self) -> None:
        dataset = self.selected_dataset()
        self._show_version(dataset.current if dataset else None)
        self._load_history(dataset)
        self._update_actions()

    def _load_history(self, dataset: Dataset | None) -> None:
        store = self._store
        if dataset is None or store is None:
            self.versions.set_versions([], 0)
            return
        self.diff_result.clear()
        run_task(
            lambda _s: store.versions(dataset.id),
            on_done=lambda rows: self._show_history(rows, dataset.current_version),
            on_error=lambda error, _t: show_user_error(self, error),
            context=self,
        )

    def _show_history(self, versions: list[DatasetVersion], current: int) -> None:
        self.versions.set_versions(versions, current)
        self._update_actions()

    def _show_version(self, version: DatasetVersion | None) -> None:
        self._version = version
        if version is None:
            self.version_label.clear()
            self.preview.set_source(None)
            self.statistics.show_stats(None)
            return
        current = self.selected_dataset()
        is_current = current is not None and current.current_version == version.number
        self.version_label.setText(
            f"<b>{escape(version.dataset_name)}</b> v{version.number}"
            f"{' (current)' if is_current else ''} · {version.rows:,} rows · "
            f"{human_bytes(version.bytes)} · SHA-256 <code>{version.sha256[:16]}…</code>"
        )
        self.statistics.show_stats(version.stats)
        if version.kind == "images":
            self.preview_stack.setCurrentWidget(self.images)
            path = version.data_file
            run_task(
                lambda _s: pq.read_table(path, columns=["image", "label"]).to_pydict(),
                on_done=lambda data: self._show_images(version, data),
                on_error=lambda error, _t: show_user_error(self, error),
                context=self,
            )
        else:
            self.preview_stack.setCurrentWidget(self.preview)
            path = version.data_file
            run_task(
                lambda _s: RowWindow(path),
                on_done=lambda window: self._show_rows(version, window),
                on_error=lambda error, _t: show_user_error(self, error),
                context=self,
            )
        self.version_shown.emit(version)

    def _show_rows(self, version: DatasetVersion, window: RowWindow) -> None:
        if version is self._version:
            self.preview.set_source(window)

    def _show_images(self, version: DatasetVersion, data: dict[str, list[Any]]) -> None:
        if version is self._version:
            self.thumbnails.set_images(version.path, data["image"], data["label"])

    def _update_actions(self) -> None:
        has_store = self._store is not None
        idle = has_store and not self.busy
        dataset = self.selected_dataset()
        selected = idle and dataset is not None and self.stack.currentIndex() == 1
        self.import_action.setEnabled(idle)
        self.import_folder_action.setEnabled(idle)
        self.sample_action.setEnabled(idle)
        for button in getattr(self, "sample_buttons", {}).values():
            button.setEnabled(idle)
        for action in (self.export_action, self.delete_action):
            action.setEnabled(selected)
        tabular = selected and dataset is not None and dataset.current.kind == "table"
        self.filter_action.setEnabled(bool(selected))
        self.split_action.setEnabled(bool(selected))
        self.filter_action.setToolTip(
            "Drop empty, duplicate, too short or too long rows, or labels"
            if tabular
            else "Drop duplicate rows or labels"
        )
        chosen = self._chosen_versions()
        self.show_version_button.setEnabled(len(chosen) == 1)
        self.current_button.setEnabled(
            idle and len(chosen) == 1 and chosen[0].number != self.versions.current
        )
        self.diff_button.setEnabled(
            idle and (len(chosen) == 2 or (len(chosen) == 1 and chosen[0].parent is not None))
        )

    # -- long work -------------------------------------------------------------------------

    def _run(
        self,
        message: str,
        work: Callable[[TaskState], Any],
        on_done: Callable[[Any], None],
        prefix: str = "",
    ) -> None:
        """One long action at a time, with the strip showing its progress and Cancel."""
        self.strip.start(message)

        def finished() -> None:
            if self._task is not handle:
                return  # already finished by its done, error or cancel callback
            self._task = None
            self.strip.hide()
            self._update_actions()
            self.task_finished.emit()

        def done(result: Any) -> None:
            finished()
            on_done(result)

        def failed(error: BaseException, _text: str) -> None:
            self._queue.clear()
            finished()
            show_user_error(self, error, "Could not finish")

        def cancelled() -> None:
            self._queue.clear()
            finished()
            self._core.notifications.notify(
                "Cancelled", f"{message.rstrip('…')}: nothing was kept.", source="datasets"
            )

        def ended() -> None:  # a bug: the crash dialog has it, the pane must not stay busy
            self._queue.clear()
            finished()

        handle = self._task = run_task(
            work,
            on_done=done,
            on_error=failed,
            on_progress=lambda p: self.strip.progress(p, prefix),
            on_cancelled=cancelled,
            on_finished=ended,
            context=self,
            kind=LONG,
        )
        self._update_actions()

    def cancel_task(self) -> None:
        if self._task is not None:
            self.strip.message.setText("Cancelling…")
            self.strip.cancel_button.setEnabled(False)
            self._task.cancel()

    # -- import ----------------------------------------------------------------------------

    def choose_import(self) -> None:
        if self.busy or self._store is None:
            return
        dialog = QFileDialog(self, "Import a dataset")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(IMPORT_FILTER)
        dialog.filesSelected.connect(lambda files: self.import_paths([Path(f) for f in files]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder")
        if folder:
            self.import_paths([Path(folder)])

    def import_paths(self, paths: list[Path]) -> None:
        """Import each path in turn as its own dataset (drops, dialogs and the main window)."""
        if self._store is None:
            show_user_error(self, UserError("The database is still opening; try again."))
            return
        if self.busy:
            self._queue.extend(paths)
            self._queue_total += len(paths)
            return
        self._queue = list(paths)
        self._queue_total = len(paths)
        self._next_import()

    def _next_import(self) -> None:
        if not self._queue or self._store is None:
            return
        path = self._queue.pop(0)
        store = self._store
        number = self._queue_total - len(self._queue)
        prefix = f"{number} of {self._queue_total}: " if self._queue_total > 1 else ""
        self._run(
            f"{prefix}Importing {path.name}…",
            lambda state: store.import_path(path, "", state),
            lambda version: self._imported(version),
            prefix=prefix,
        )

    def _imported(self, version: DatasetVersion) -> None:
        notes = " ".join(version.notes)
        self._core.notifications.notify(
            f"Imported {version.dataset_name}",
            f"{version.rows:,} rows, {human_bytes(version.bytes)}. {notes}".strip(),
            source="datasets",
        )
        self.refresh(version.dataset_name)
        self._next_import()

    def import_sample(self, key: str) -> None:
        store = self._store
        if store is None or self.busy:
            return
        self._run(
            "Making the sample…",
            lambda state: import_sample(store, key, state),
            lambda version: self._imported(version),
        )

    # -- actions on the selected dataset ---------------------------------------------------

    def open_filter(self) -> FilterDialog | None:
        return self._open_derive(FilterDialog)

    def open_split(self) -> SplitDialog | None:
        return self._open_derive(SplitDialog)

    def _open_derive(self, kind):
        dataset = self.selected_dataset()
        if dataset is None or self._store is None or self.busy:
            return None
        version = self._version or dataset.current
        dialog = kind(self._store, version, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._derive(dialog, version))
        dialog.open()
        return dialog

    def _derive(self, dialog, version: DatasetVersion) -> None:
        store = self._store
        assert store is not None
        name, base = version.dataset_id, version.number
        if isinstance(dialog, FilterDialog):
            options = dialog.options()

            def work(state: TaskState) -> DatasetVersion:
                return store.filter(name, options, state, base=base)
        else:
            values = dialog.values()

            def work(state: TaskState) -> DatasetVersion:
                return store.split(
                    name,
                    values["fractions"],
                    state,
                    seed=values["seed"],
                    stratify=values["stratify"],
                    base=base,
                )

        self._run(
            f"Making a new version of {version.dataset_name}…",
            work,
            lambda new: self.refresh(new.dataset_name),
        )

    def choose_export(self) -> None:
        dataset = self.selected_dataset()
        store = self._store
        if dataset is None or store is None or self.busy:
            return
        version = self._version or dataset.current
        path, chosen = QFileDialog.getSaveFileName(
            self,
            f"Export {dataset.name} v{version.number}",
            f"{dataset.name}-v{version.number}.csv",
            ";;".join(EXPORT_FORMATS),
        )
        if not path:
            return
        fmt = EXPORT_FORMATS.get(chosen) or Path(path).suffix.lstrip(".") or "csv"
        self.export_to(Path(path), fmt)

    def export_to(self, destination: Path, fmt: str) -> None:
        dataset, store = self.selected_dataset(), self._store
        if dataset is None or store is None:
            return
        number = (self._version or dataset.current).number
        self._run(
            f"Exporting {dataset.name} v{number}…",
            lambda _s: store.export(dataset.id, destination, fmt, number),
            lambda path: self._core.notifications.notify(
                f"Exported {dataset.name}", str(path), source="datasets"
            ),
        )

    def confirm_delete(self) -> QMessageBox | None:
        dataset = self.selected_dataset()
        if dataset is None or self._store is None or self.busy:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete dataset",
            f"Delete {dataset.name} and all {dataset.versions} of its versions?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            "Its files are removed from the data folder. Jobs that already trained on it keep "
            "their results. This cannot be undone."
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: self.delete_dataset(dataset) if button is delete else None
        )
        box.open()
        return box

    def delete_dataset(self, dataset: Dataset) -> None:
        store = self._store
        assert store is not None
        self._run(
            f"Deleting {dataset.name}…",
            lambda _s: store.delete(dataset.id),
            lambda _r: self.refresh(),
        )

    def _context_menu(self, position) -> None:
        dataset = self.selected_dataset()
        if dataset is None:
            return
        menu = QMenu(self)
        menu.addAction("Clean up…", self.open_filter)
        menu.addAction("Split…", self.open_split)
        menu.addAction("Export…", self.choose_export)
        menu.addAction(
            "Open folder",
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(dataset.current.path))),
        )
        menu.addSeparator()
        menu.addAction("Delete…", self.confirm_delete)
        for action in menu.actions():
            action.setEnabled(not self.busy)
        menu.popup(self.table.viewport().mapToGlobal(position))

    # -- versions --------------------------------------------------------------------------

    def _chosen_versions(self) -> list[DatasetVersion]:
        if not hasattr(self, "version_table"):
            return []
        rows = sorted({index.row() for index in self.version_table.selectionModel().selectedRows()})
        return [v for v in (self.versions.row(self.versions.index(r, 0)) for r in rows) if v]

    def show_selected_version(self) -> None:
        chosen = self._chosen_versions()
        if len(chosen) == 1:
            self._show_version(chosen[0])
            self.tabs.setCurrentIndex(0)

    def make_selected_current(self) -> None:
        chosen, store = self._chosen_versions(), self._store
        if len(chosen) != 1 or store is None:
            return
        version = chosen[0]
        self._run(
            f"Making v{version.number} current…",
            lambda _s: store.set_current(version.dataset_id, version.number),
            lambda dataset: self.refresh(dataset.name),
        )

    def compare_selected(self) -> None:
        chosen, store = self._chosen_versions(), self._store
        if store is None or not chosen or len(chosen) > 2:
            return
        if len(chosen) == 1:
            new = chosen[0]
            if new.parent is None:
                return
            old_number = new.parent
        else:
            old_number, new = min(v.number for v in chosen), max(chosen, key=lambda v: v.number)
        name = new.dataset_id

        def shown(result) -> None:
            lines = [result.summary(old_number, new.number) + "."]
            for label, columns in result.column_changes():
                lines.append(f"{label.capitalize()}: {', '.join(columns)}.")
            self.diff_result.setText(" ".join(lines))

        self._run(
            f"Comparing v{old_number} and v{new.number}…",
            lambda _s: store.diff(name, old_number, new.number),
            shown,
        )

"""The Datasets pane: import by drop or dialog, the list, and a version's preview,
statistics and history.

Every action is a `DatasetStore` method run through `run_task`; the pane only
shows progress, asks before destroying, and reports errors by name.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.datasets.samples import SAMPLES
from app.datasets.store import Dataset, DatasetStore, DatasetVersion
from app.errors import UserError
from app.tasks import TaskState, run_task
from views.crash_dialog import show_user_error
from views.datasets.dataset_table import DatasetTable
from views.datasets.dialogs import EXPORT_FORMATS, FilterDialog, SplitDialog
from views.datasets.import_queue import ImportQueue, ask_for_files, ask_for_folder
from views.datasets.models import human_bytes
from views.datasets.statistics_view import StatisticsView
from views.datasets.task_strip import LongWork, TaskStrip, local_paths
from views.datasets.thumbnails import ThumbnailCache
from views.datasets.toolbar import DatasetsToolbar
from views.datasets.version_history import VersionHistory
from views.datasets.version_preview import VersionPreview
from views.widgets.confirm import confirm
from views.widgets.open_folder import open_folder
from views.widgets.pane_frame import EmptyState, PaneFrame


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
        self._version: DatasetVersion | None = None
        self._thumbs = ThumbnailCache(core.paths.cache / "thumbnails", self)

        toolbar = DatasetsToolbar(self)
        self.import_action, self.import_folder_action = toolbar.import_action, toolbar.folder_action
        self.sample_action, self.filter_action = toolbar.sample_action, toolbar.filter_action
        self.split_action, self.export_action = toolbar.split_action, toolbar.export_action
        self.delete_action = toolbar.delete_action
        for action, slot in (
            (self.import_action, self.choose_import),
            (self.import_folder_action, self.choose_folder),
            (self.filter_action, self.open_filter),
            (self.split_action, self.open_split),
            (self.export_action, self.choose_export),
            (self.delete_action, self.confirm_delete),
        ):
            action.triggered.connect(slot)
        toolbar.sample_chosen.connect(self.import_sample)
        self.body.addWidget(toolbar)

        self.strip = TaskStrip()
        self.work = LongWork(self.strip, core.notifications, self)
        self.work.ended.connect(self._on_work_ended)
        self.imports = ImportQueue(self.work, core.notifications, self)
        self.imports.imported.connect(self._imported)
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
        self.table = DatasetTable()
        self.datasets, self.sorted = self.table.datasets, self.table.sorted
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._on_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        self.tabs = QTabWidget()
        self.preview_stack = VersionPreview(self._thumbs)
        self.preview, self.images = self.preview_stack.table, self.preview_stack.images
        self.thumbnails = self.preview_stack.thumbnails
        self.statistics = StatisticsView()
        self.tabs.addTab(self.preview_stack, "Preview")
        self.tabs.addTab(self.statistics, "Statistics")
        self.history = VersionHistory()
        self.history.version_table.doubleClicked.connect(lambda _i: self.show_selected_version())
        self.history.version_table.selectionModel().selectionChanged.connect(
            lambda *_: self._update_actions()
        )
        self.history.show_version_button.clicked.connect(self.show_selected_version)
        self.history.current_button.clicked.connect(self.make_selected_current)
        self.history.diff_button.clicked.connect(self.compare_selected)
        self.tabs.addTab(self.history, "Versions")

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
        return self.work.busy

    def _on_database(self) -> None:
        self._store = self._core.datasets
        # Importing needs only the store, not the first list: enable it now.
        self._update_actions()
        self.refresh()
        # A job submitted from anywhere (the wizard, a terminal) updates "Last used".
        self._core.jobs.submitted.connect(lambda _job_id: self.refresh())

    def refresh(self, select: str | None = None) -> None:
        store = self._store
        if store is None:
            return
        select = select or (self.selected_dataset().name if self.selected_dataset() else None)
        run_task(
            lambda _s: store.datasets(),
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
        self.table.select_source_row(source_row)
        self._on_selected()

    def selected_dataset(self) -> Dataset | None:
        return self.table.selected() if hasattr(self, "table") else None

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
            self.history.versions.set_versions([], 0)
            return
        self.history.diff_result.clear()
        run_task(
            lambda _s: store.versions(dataset.id),
            on_done=lambda rows: self._show_history(rows, dataset.current_version),
            on_error=lambda error, _t: show_user_error(self, error),
            context=self,
        )

    def _show_history(self, versions: list[DatasetVersion], current: int) -> None:
        self.history.versions.set_versions(versions, current)
        self._update_actions()

    def _show_version(self, version: DatasetVersion | None) -> None:
        self._version = version
        if version is None:
            self.version_label.clear()
            self.preview_stack.show_version(None)
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
        self.preview_stack.show_version(version)
        self.version_shown.emit(version)

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
        if hasattr(self, "history"):
            self.history.update_buttons(idle)

    # -- long work -------------------------------------------------------------------------

    def _run(
        self,
        message: str,
        work: Callable[[TaskState], Any],
        on_done: Callable[[Any], None],
        prefix: str = "",
    ) -> None:
        """One long action at a time, with the strip showing its progress and Cancel."""
        self.work.run(message, work, on_done, prefix)
        self._update_actions()

    def _on_work_ended(self, _success: bool) -> None:
        self._update_actions()
        self.task_finished.emit()

    def cancel_task(self) -> None:
        self.work.cancel()

    # -- import ----------------------------------------------------------------------------

    def choose_import(self) -> None:
        if not self.busy and self._store is not None:
            ask_for_files(self, self.import_paths)

    def choose_folder(self) -> None:
        ask_for_folder(self, self.import_paths)

    def import_paths(self, paths: list[Path]) -> None:
        """Import each path in turn as its own dataset (drops, dialogs and the main window)."""
        if self._store is None:
            show_user_error(self, UserError("The database is still opening; try again."))
            return
        self.imports.add(self._store, paths)

    def import_sample(self, key: str) -> None:
        if self._store is not None and not self.busy:
            self.imports.sample(self._store, key)

    def _imported(self, version: DatasetVersion) -> None:
        self.refresh(version.dataset_name)

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
        keep = fmt == "csv-formulas"
        self.export_to(Path(path), "csv" if keep else fmt, keep_formulas=keep)

    def export_to(self, destination: Path, fmt: str, *, keep_formulas: bool = False) -> None:
        dataset, store = self.selected_dataset(), self._store
        if dataset is None or store is None:
            return
        number = (self._version or dataset.current).number
        self._run(
            f"Exporting {dataset.name} v{number}…",
            lambda _s: store.export(
                dataset.id, destination, fmt, number, keep_formulas=keep_formulas
            ),
            lambda path: self._core.notifications.notify(
                f"Exported {dataset.name}", str(path), source="datasets"
            ),
        )

    def confirm_delete(self) -> QMessageBox | None:
        dataset = self.selected_dataset()
        if dataset is None or self._store is None or self.busy:
            return None
        return confirm(
            self,
            "Delete dataset",
            f"Delete {dataset.name} and all {dataset.versions} of its versions?",
            "Its files are removed from the data folder. Jobs that already trained on it keep "
            "their results. This cannot be undone.",
            "Delete",
            lambda: self.delete_dataset(dataset),
        )

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
            lambda: open_folder(self, Path(dataset.current.path)),
        )
        menu.addSeparator()
        menu.addAction("Delete…", self.confirm_delete)
        for action in menu.actions():
            action.setEnabled(not self.busy)
        menu.popup(self.table.viewport().mapToGlobal(position))

    # -- versions --------------------------------------------------------------------------

    def show_selected_version(self) -> None:
        chosen = self.history.chosen()
        if len(chosen) == 1:
            self._show_version(chosen[0])
            self.tabs.setCurrentIndex(0)

    def make_selected_current(self) -> None:
        chosen, store = self.history.chosen(), self._store
        if len(chosen) != 1 or store is None:
            return
        version = chosen[0]
        self._run(
            f"Making v{version.number} current…",
            lambda _s: store.set_current(version.dataset_id, version.number),
            lambda dataset: self.refresh(dataset.name),
        )

    def compare_selected(self) -> None:
        chosen, store = self.history.chosen(), self._store
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
            self.history.diff_result.setText(" ".join(lines))

        self._run(
            f"Comparing v{old_number} and v{new.number}…",
            lambda _s: store.diff(name, old_number, new.number),
            shown,
        )

"""The Models pane: bases, trained models and adapters (under their base), one model's card
and lineage, and the actions on it: add a folder or download one from the Hub, merge,
export, delete."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.errors import NotFound, UserError
from app.models.comparison import MAX_MODELS, MIN_MODELS
from app.models.merge_run import MergeRun
from app.models.playground import PlaygroundSession, Target, model_targets, target_for_model
from app.models.registry import ModelRegistry
from app.models.store import ModelRecord
from app.tasks import TaskState, run_task
from app.units import human_bytes
from views.crash_dialog import show_user_error
from views.models.compare import ModelComparisonDialog
from views.models.detail import ModelDetail
from views.models.download import HubDownloads
from views.models.models import KINDS, TASKS, ModelFilterModel, ModelTableModel
from views.models.playground import PlaygroundView, idle_seconds
from views.models.task_row import TaskRow
from views.widgets.confirm import confirm
from views.widgets.pane_frame import PaneFrame


def in_tree_order(models: list[ModelRecord]) -> list[ModelRecord]:
    """Bases, each followed by what was trained from it; then what has no base left."""
    children: dict[int, list[ModelRecord]] = {}
    for model in models:
        if model.method != "base" and model.base_id is not None:
            children.setdefault(model.base_id, []).append(model)
    ordered: list[ModelRecord] = []
    for model in models:
        if model.method == "base":
            ordered += [model, *children.pop(model.id, [])]
    placed = {m.id for m in ordered}
    return ordered + [m for m in models if m.id not in placed]


class ModelsPane(PaneFrame):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__(
            "Models",
            "Base and trained models with their lineage and cards. Drop a Hugging Face "
            "model folder here to add it.",
            parent,
        )
        self._core = core
        self.registry: ModelRegistry | None = None
        self.merge_run: MergeRun | None = None
        self.downloads: HubDownloads | None = None
        self._generation = 0
        self._select_next: int | None = None
        self.setAcceptDrops(True)

        self.toolbar = QToolBar()
        self.add_action = self._action("Add folder…", "Ctrl+O", self.choose_folder)
        self.download_action = self._action("Download from Hub…", "Ctrl+Shift+D", self.ask_download)
        self.merge_action = self._action("Merge into base", "Ctrl+M", self.merge_selected)
        self.export_action = self._action("Export…", "Ctrl+Shift+E", self.export_selected)
        self.export_merged_action = self._action(
            "Export merged…", "", lambda: self.export_selected(merged=True)
        )
        self.delete_action = self._action(
            "Delete…", QKeySequence(QKeySequence.StandardKey.Delete), self.delete_selected
        )
        self.compare_action = self._action("Compare…", "Ctrl+Shift+C", self.compare_selected)
        self.compare_action.setToolTip(
            f"Select {MIN_MODELS} to {MAX_MODELS} models (Ctrl+click) to compare them "
            "(Ctrl+Shift+C)"
        )
        self.comparison: ModelComparisonDialog | None = None
        self.body.addWidget(self.toolbar)

        filters = QHBoxLayout()
        self.kind_filter = QComboBox()
        for label, _kind in KINDS:
            self.kind_filter.addItem(label)
        self.task_filter = QComboBox()
        for label, _task in TASKS:
            self.task_filter.addItem(label)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search names, architectures, folders (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        find = QAction(self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(lambda: self.search.setFocus())
        self.addAction(find)
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.task_filter)
        filters.addWidget(self.search, 1)
        self.body.addLayout(filters)

        self.task_rows = QWidget()  # a row per running merge or download
        self.task_layout = QVBoxLayout(self.task_rows)
        self.task_layout.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.task_rows)

        self.models = ModelTableModel(self)
        self.filtered = ModelFilterModel(self)
        self.filtered.setSourceModel(self.models)
        self.table = QTableView()
        self.table.setModel(self.filtered)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # a narrow list scrolls; names are never elided
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.body.addWidget(self.splitter, 1)
        self.detail: ModelDetail | None = None

        self.kind_filter.currentIndexChanged.connect(
            lambda i: self.filtered.set_filter(kind=KINDS[i][1])
        )
        self.task_filter.currentIndexChanged.connect(
            lambda i: self.filtered.set_filter(task=TASKS[i][1])
        )
        self.search.textChanged.connect(lambda text: self.filtered.set_filter(text=text))
        self._update_actions()
        core.when_database_ready(lambda _db: self._on_database())

    def _action(self, text: str, shortcut: QKeySequence | str, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{text} ({QKeySequence(shortcut).toString()})")
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def _on_database(self) -> None:
        self.registry = self._core.models
        self.downloads = HubDownloads(self.registry, self._core.credentials, self.task_layout, self)
        self.downloads.registered.connect(lambda model_id: self.reload(select=model_id))
        self.detail = ModelDetail(self.registry)
        self.detail.open_job.connect(self._open_job)
        self.session = PlaygroundSession(idle_seconds(self._core.settings), self)
        self.playground = PlaygroundView(self.session)
        self.detail.tabs.addTab(self.playground, "Playground")
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.session.shutdown)
        self.splitter.addWidget(self.detail)
        self.splitter.setSizes([520, 480])
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self.registry.changed.connect(self.reload)
        self.reload()

    # -- the list --------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        """Read the list off the GUI thread; only the newest read is shown, and a model to
        select (just added or merged) waits for the read that has it."""
        registry = self.registry
        if registry is None:
            return
        if select is not None:
            self._select_next = select
        self._generation += 1
        generation = self._generation

        def show(models: list[ModelRecord]) -> None:
            if generation != self._generation:
                return
            chosen = self._select_next or getattr(self.selected(), "id", None)
            self._select_next = None
            self.models.set_rows(in_tree_order(models))
            found = chosen is not None and self.select_model(chosen)
            if not found and models and self.selected() is None:
                self.table.selectRow(0)
            self._on_selection()

        run_task(lambda _s: registry.models(), on_done=show, context=self)

    def selected(self) -> ModelRecord | None:
        """The model the detail view shows: the current one of a multiple selection."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        current = self.table.currentIndex()
        chosen = next((index for index in rows if index.row() == current.row()), rows[0])
        return self.filtered.data(chosen, Qt.ItemDataRole.UserRole)

    def selected_models(self) -> list[ModelRecord]:
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda index: index.row())
        return [self.filtered.data(index, Qt.ItemDataRole.UserRole) for index in rows]

    def select_model(self, model_id: int) -> bool:
        row = self.models.find(model_id)
        if row < 0:
            return False
        index = self.filtered.mapFromSource(self.models.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.scrollTo(index)
        return index.isValid()

    def open_model(self, model_id: int) -> None:
        """Show one model (from a job's "Open model"), clearing filters that hide it."""
        self.kind_filter.setCurrentIndex(0)
        self.task_filter.setCurrentIndex(0)
        self.search.clear()
        if not self.select_model(model_id):
            self.reload(select=model_id)

    def try_model(self, model_id: int) -> None:
        """Open a model on its Playground tab (a job's "Try it")."""
        self.open_model(model_id)
        if self.detail is not None:
            self.detail.tabs.setCurrentWidget(self.playground)

    def _on_selection(self) -> None:
        model = self.selected()
        if self.detail is not None:
            self.detail.show_model(model)
            self._show_playground(model)
        self._update_actions()

    def _show_playground(self, model: ModelRecord | None) -> None:
        if model is None:
            self.playground.show_unavailable("Choose a model to try.")
            return
        try:
            target_for_model(model)
        except UserError as error:
            self.playground.show_unavailable(error.message)
            return
        registry = self.registry
        assert registry is not None

        def targets(_state: TaskState) -> list[Target]:
            job = None
            if model.job_id:
                try:
                    job = registry.jobs.get(model.job_id)
                except NotFound:
                    job = None  # the job was deleted; its model stays
            return model_targets(model, job)

        def show(found: list[Target]) -> None:
            current = self.selected()
            if current is not None and current.id == model.id:
                self.playground.set_targets(found, model.task)

        run_task(targets, on_done=show, context=self)

    def _update_actions(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        self.compare_action.setEnabled(
            self.registry is not None and MIN_MODELS <= count <= MAX_MODELS
        )
        model = self.selected() if count == 1 else None  # the rest act on one model
        merging = self.merge_run is not None
        has_folder = model is not None and model.path is not None
        self.add_action.setEnabled(self.registry is not None)
        self.merge_action.setEnabled(bool(model and model.method == "lora") and not merging)
        self.export_action.setEnabled(has_folder)
        self.export_merged_action.setEnabled(bool(model and model.method == "lora") and not merging)
        self.delete_action.setEnabled(model is not None and model.source != "preset")

    def compare_selected(self) -> None:
        models = self.selected_models()
        if self.registry is None or not MIN_MODELS <= len(models) <= MAX_MODELS:
            return
        if self.comparison is not None:
            self.comparison.close()
        dialog = ModelComparisonDialog(
            self.registry, models, idle_seconds(self._core.settings), self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._forget_comparison(dialog))
        dialog.show()
        self.comparison = dialog

    def _forget_comparison(self, dialog: ModelComparisonDialog) -> None:
        if self.comparison is dialog:
            self.comparison = None

    def _open_job(self, job_id: str) -> None:
        window = self.window()
        show_pane = getattr(window, "show_pane", None)
        if show_pane is not None:
            show_pane("jobs").select_job(job_id)

    # -- adding ----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a Hugging Face model folder")
        if folder:
            self.add_folders([Path(folder)])

    def add_folders(self, folders: list[Path]) -> None:
        registry = self.registry
        if registry is None:
            return

        def adder(folder: Path) -> Callable[[TaskState], ModelRecord]:
            return lambda _s: registry.add_folder(folder)

        for folder in folders:
            run_task(
                adder(folder),
                on_done=lambda model: self.reload(select=model.id),
                on_error=lambda error, _text: show_user_error(self, error, "Cannot add the folder"),
                context=self,
            )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() and Path(url.toLocalFile()).is_dir() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_folders([Path(url.toLocalFile()) for url in event.mimeData().urls()])
        event.acceptProposedAction()

    # -- download, merge, export, delete ---------------------------------------------------

    def ask_download(self) -> None:
        if self.downloads is not None:
            self.downloads.ask()

    def merge_selected(self) -> None:
        model = self.selected()
        if model is None or self.registry is None:
            return
        try:
            adapter, target = self.registry.merge_target(model.id)
        except UserError as error:
            show_user_error(self, error)
            return
        self._start_merge(model, adapter, target, export=False)

    def _start_merge(
        self, model: ModelRecord, adapter: Path, target: Path, *, export: bool
    ) -> None:
        run = self.merge_run = MergeRun(adapter, target, self)
        self.merge_row = TaskRow(run, f"Merging {model.name}", in_bytes=False)
        self.task_layout.addWidget(self.merge_row)
        run.finished.connect(lambda folder: self._on_merged(model.id, Path(folder), export))
        run.failed.connect(self._on_merge_failed)
        self._update_actions()

    def _end_merge(self) -> None:
        if self.merge_run is not None:
            self.merge_run.deleteLater()
            self.merge_row.deleteLater()
        self.merge_run = None
        self._update_actions()

    def _on_merged(self, adapter_id: int, folder: Path, export: bool) -> None:
        self._end_merge()
        assert self.registry is not None
        if export:
            self.registry.finish_merged_export(adapter_id, folder)
            self._core.notifications.notify("Merged model exported", str(folder))
            return
        merged = self.registry.register_merge(adapter_id, folder)
        self.reload(select=merged.id)

    def _on_merge_failed(self, message: str) -> None:
        cancelled = self.merge_run is not None and self.merge_run.cancelled
        self._end_merge()
        if not cancelled:
            QMessageBox.warning(self, "The merge failed", message)

    def export_selected(self, merged: bool = False) -> None:
        model = self.selected()
        if model is None or self.registry is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Export to a new or empty folder" + (" (merged)" if merged else "")
        )
        if folder:
            self.export_to(model, Path(folder), merged=merged)

    def export_to(self, model: ModelRecord, destination: Path, *, merged: bool = False) -> None:
        registry = self.registry
        assert registry is not None
        if merged:
            if destination.exists() and any(destination.iterdir()):
                show_user_error(self, UserError(f"{destination} is not empty"))
                return
            if destination.exists():
                destination.rmdir()
            adapter, _target = registry.merge_target(model.id)
            self._start_merge(model, adapter, destination, export=True)
            return
        run_task(
            lambda _s: registry.export(model.id, destination),
            on_done=lambda path: self._exported(path),
            context=self,
        )

    def _exported(self, folder: Path) -> None:
        self._core.notifications.notify("Model exported", str(folder))

    def delete_selected(self) -> None:
        model = self.selected()
        registry = self.registry
        if model is None or registry is None or model.source == "preset":
            return
        try:
            registry.check_deletable(model.id)
        except UserError as error:
            show_user_error(self, error, "Cannot delete the model")
            return
        freed = registry.space_freed(model.id)
        consequence = (
            f"Its files are removed, freeing {human_bytes(freed)}."
            if model.owned
            else "It is forgotten here; its folder is yours and stays where it is."
        )
        confirm(
            self,
            "Delete model",
            f"Delete {model.name}?",
            consequence,
            "Delete",
            lambda: run_task(
                lambda _s: registry.delete(model.id), on_done=lambda _f: self.reload(), context=self
            ),
        )

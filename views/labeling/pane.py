"""The Labeling pane: projects on the left, the sample being labeled on the right.

Opening a project reads its labels once (off the GUI thread); from then on every key
press updates memory and repaints at once while the label is written behind it. A project
reopens on the sample the person left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QWidget,
)
from shiboken6 import isValid

from app.core import AppCore
from app.labeling.formats import export_any, import_any, to_dataset, training_spec
from app.labeling.service import BOXES, LabelingService
from app.labeling.store import Project
from app.tasks import TaskState, run_task
from views.crash_dialog import show_user_error
from views.labeling.prelabel_strip import PrelabelStrip
from views.labeling.project_dialog import NewProjectDialog
from views.labeling.project_table import ProjectRow, ProjectTableModel
from views.labeling.sample_view import SampleView
from views.labeling.session import LabelSession
from views.widgets.confirm import confirm
from views.widgets.pane_frame import EmptyState, PaneFrame


class LabelingPane(PaneFrame):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__(
            "Labeling",
            "Label text and images from the keyboard; the labels become a dataset version "
            "that the Jobs wizard trains on.",
            parent,
        )
        self._core = core
        self.labeling: LabelingService | None = None
        self.session: LabelSession | None = None
        self._generation = 0

        self.toolbar = QToolBar()
        self.new_action = self._action("New project…", "Ctrl+N", self.new_project)
        self.import_action = self._action("Import labels…", "", self.import_file)
        self.export_action = self._action("Export labels…", "Ctrl+Shift+E", self.export_file)
        self.prelabel_action = self._action("Pre-label with a model…", "", self.ask_prelabel)
        self.dataset_action = self._action("Make dataset version", "", self.make_dataset)
        self.train_action = self._action("Train on these labels…", "", self.train_on_labels)
        self.delete_action = self._action("Delete project…", "", self.delete_project)
        self.undo_action = self._action("Undo", QKeySequence.StandardKey.Undo, self._undo)
        self.redo_action = self._action("Redo", QKeySequence.StandardKey.Redo, self._redo)
        self.body.addWidget(self.toolbar)

        self.projects = ProjectTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("label-projects")
        self.table.setModel(self.projects)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.view = SampleView()
        self.view.labeled.connect(self._update_row)
        self.empty = EmptyState(
            "No labeling projects yet",
            "A project labels one dataset version with the classes you name; each class "
            "gets a number key.",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.view)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([360, 740])
        self.stack.addWidget(splitter)
        self.prelabeling = PrelabelStrip(self)
        self.prelabeling.finished.connect(self._prelabeled)
        self.prelabeling.ended.connect(self._update_actions)
        self.body.addWidget(self.prelabeling)
        self.body.addWidget(self.stack, 1)
        self._update_actions()
        core.when_database_ready(lambda _db: self._on_database())

    def _action(self, text: str, shortcut: Any, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{text} ({QKeySequence(shortcut).toString()})")
        action.triggered.connect(slot)
        if text not in ("Undo", "Redo"):
            self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def _on_database(self) -> None:
        self.labeling = self._core.labeling
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._open_selected())
        self.reload()

    # -- the list ---------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        labeling = self.labeling
        if labeling is None:
            return
        self._generation += 1
        generation = self._generation

        def read(_state: TaskState) -> list[ProjectRow]:
            rows = []
            for project in labeling.projects():
                version = labeling.version_of(project)
                rows.append(
                    ProjectRow(
                        project,
                        f"{version.dataset_name} v{version.number}",
                        labeling.progress(project),
                    )
                )
            return rows

        def show(rows: list[ProjectRow]) -> None:
            if generation != self._generation:
                return
            current = select if select is not None else getattr(self.selected(), "id", None)
            self.projects.set_rows(rows)
            self.stack.setCurrentIndex(1 if rows else 0)
            row = self.projects.find(current) if current is not None else -1
            if row < 0 and rows and self.selected() is None:
                row = 0
            if row >= 0:
                self.table.selectRow(row)
            self._update_actions()

        run_task(read, on_done=show, context=self)

    def selected(self) -> Project | None:
        rows = self.table.selectionModel().selectedRows()
        return self.projects.data(rows[0], Qt.ItemDataRole.UserRole) if rows else None

    def _open_selected(self) -> None:
        project = self.selected()
        labeling = self.labeling
        if self.session is not None and (project is None or self.session.project.id != project.id):
            self.session.flush()
            self.session.deleteLater()
            self.session = None
            self.view.set_session(None)
        self._update_actions()
        if project is None or labeling is None or self.session is not None:
            return
        self.view.show_opening(project.name)

        def read(_state: TaskState) -> tuple[int, dict, dict]:
            return (
                labeling.sample_count(project),
                labeling.labels(project),
                labeling.suggestions(project),
            )

        def opened(found: tuple[int, dict, dict]) -> None:
            current = self.selected()
            if current is None or current.id != project.id or self.session is not None:
                return
            total, labels, suggestions = found
            self.session = LabelSession(labeling, project, total, labels, suggestions, self)
            self.session.failed.connect(lambda text: self._say("Cannot save the label", text))
            self.session.undo_stack.canUndoChanged.connect(self._stack_changed)
            self.session.undo_stack.canRedoChanged.connect(self._stack_changed)
            self.view.set_session(self.session)
            self._update_actions()

        run_task(
            read,
            on_done=opened,
            on_error=lambda error, _t: self._open_failed(error),
            context=self,
        )

    def _open_failed(self, error: BaseException) -> None:
        self.view.set_session(None)
        show_user_error(self, error, "Cannot open the project")

    def _update_row(self) -> None:
        session = self.session
        if session is None:
            return
        row = self.projects.find(session.project.id)
        if row >= 0:
            old = self.projects.row(self.projects.index(row, 0))
            assert old is not None
            self.projects.replace(row, ProjectRow(old.project, old.dataset, session.progress()))

    def _update_actions(self) -> None:
        ready = self.labeling is not None
        opened = self.session is not None
        self.new_action.setEnabled(ready)
        for action in (self.import_action, self.export_action, self.dataset_action):
            action.setEnabled(opened)
        boxes = self.session is not None and self.session.project.kind == BOXES
        several = self.session is not None and self.session.project.multi_label
        self.train_action.setEnabled(opened and not several)  # boxes are several too
        # No detection recipe trains a box model yet: pre-labels are for classes.
        self.prelabel_action.setEnabled(opened and not boxes and not self.prelabeling.running)
        self.delete_action.setEnabled(self.selected() is not None)
        stack = self.session.undo_stack if self.session is not None else None
        self.undo_action.setEnabled(bool(stack and stack.canUndo()))
        self.redo_action.setEnabled(bool(stack and stack.canRedo()))

    def _stack_changed(self, _can: bool) -> None:
        # The stack empties itself as the pane is torn down, after the actions went.
        if isValid(self.undo_action):
            self._update_actions()

    def _undo(self) -> None:
        if self.session is not None:
            self.session.undo_stack.undo()
            self._update_row()

    def _redo(self) -> None:
        if self.session is not None:
            self.session.undo_stack.redo()
            self._update_row()

    def _tell(self, title: str, text: str) -> None:
        self._core.notifications.notify(title, text, source="labeling")

    def _say(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    # -- actions ------------------------------------------------------------------------------

    def new_project(self) -> None:
        labeling = self.labeling
        if labeling is None:
            return
        run_task(
            lambda _s: labeling.datasets.datasets(),
            on_done=self._ask_new_project,
            context=self,
        )

    def _ask_new_project(self, datasets: list) -> None:
        dialog = NewProjectDialog(datasets, self)
        self.project_dialog = dialog
        dialog.accepted.connect(lambda: self.create_project(dialog))
        dialog.open()

    def create_project(self, dialog: NewProjectDialog) -> None:
        labeling = self.labeling
        assert labeling is not None
        name, dataset = dialog.project_name(), dialog.dataset.currentText()
        classes, version = dialog.class_names(), dialog.version.value()
        column, kind = dialog.column.currentText(), dialog.labels_kind.currentData()
        hotkeys = dialog.hotkey_list()
        run_task(
            lambda _s: labeling.create(
                name,
                dataset,
                classes,
                version=version,
                column=column,
                multi_label=kind == "several",
                boxes=kind == BOXES,
                hotkeys=hotkeys,
            ),
            on_done=lambda project: self.reload(select=project.id),
            on_error=lambda error, _t: show_user_error(self, error, "Cannot create the project"),
            context=self,
        )

    def export_file(self) -> None:
        session = self.session
        if session is None:
            return
        boxes = session.project.kind == BOXES
        filters = (
            "COCO JSON (*.json);;YOLO folder (*)" if boxes else "JSON lines (*.jsonl);;CSV (*.csv)"
        )
        suffix = ".json" if boxes else ".jsonl"
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export labels", f"{session.project.name}{suffix}", filters
        )
        if not path:
            return
        if boxes:
            fmt = "yolo" if chosen.startswith("YOLO") else "coco"
        else:
            fmt = "csv" if path.lower().endswith(".csv") else "jsonl"
        self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        session = self.session
        assert session is not None
        session.flush()
        labeling, project = session.labeling, session.project
        run_task(
            lambda _s: export_any(labeling, project, fmt, path),
            on_done=lambda count: self._tell(
                "Labels exported", f"{count:,} labels of {project.name} → {path} ({fmt})"
            ),
            on_error=lambda error, _t: show_user_error(self, error, "Cannot export the labels"),
            context=self,
        )

    def import_file(self) -> None:
        session = self.session
        if session is None:
            return
        filters = (
            "COCO JSON (*.json);;YOLO folder's classes.txt (classes.txt)"
            if session.project.kind == BOXES
            else "Labels (*.jsonl *.csv)"
        )
        path, _filter = QFileDialog.getOpenFileName(self, "Import labels", "", filters)
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> None:
        session = self.session
        assert session is not None
        session.flush()
        labeling, project = session.labeling, session.project

        def reopen(count: int) -> None:
            self._tell("Labels imported", f"{count:,} samples of {project.name} from {path.name}")
            self._reopen(project.id)

        run_task(
            lambda _s: import_any(labeling, project, path),
            on_done=reopen,
            on_error=lambda error, _t: show_user_error(self, error, "Cannot import the labels"),
            context=self,
        )

    def ask_prelabel(self) -> None:
        session = self.session
        if session is None:
            return
        kind = session.project.kind
        registry = self._core.models

        project, labeling = session.project, session.labeling

        def choose(found: tuple[list, str]) -> None:
            models, dataset_name = found
            fitting = [m for m in models if m.task == kind and m.folder is not None]
            # The newest model trained on this project's dataset first: the one the labels
            # just trained is the usual choice.
            fitting.sort(key=lambda m: ((m.dataset or {}).get("name") != dataset_name, -m.id))
            if not fitting:
                self._say(
                    "No model to pre-label with",
                    f"Train or add a {kind.replace('_', ' ')} model first; its classes must "
                    "be this project's.",
                )
                return
            names = [f"#{m.id} {m.name}" for m in fitting]
            name, chosen = QInputDialog.getItem(self, "Pre-label", "Model", names, 0, False)
            if chosen:
                self.prelabel_with(fitting[names.index(name)])

        run_task(
            lambda _s: (registry.models(), labeling.version_of(project).dataset_name),
            on_done=choose,
            context=self,
        )

    def prelabel_with(self, model: Any) -> None:
        session = self.session
        assert session is not None
        session.flush()
        self.prelabeling.start(session.labeling, session.project, model)
        self._update_actions()

    def _prelabeled(self, project_id: int, suggestions: dict, text: str) -> None:
        if self.session is not None and self.session.project.id == project_id:
            self.session.set_suggestions(suggestions)
        self._tell("Pre-labeling finished", text)
        self._update_actions()

    def make_dataset(self) -> None:
        session = self.session
        if session is None:
            return
        session.flush()
        labeling, project = session.labeling, session.project
        run_task(
            lambda _s: to_dataset(labeling, project),
            on_done=lambda version: self._tell(
                "Dataset version made",
                f"{version.dataset_name} version {version.number}: {version.rows:,} labeled rows "
                "from " + project.name + ", ready for the Jobs wizard",
            ),
            on_error=lambda error, _t: show_user_error(self, error, "Cannot make the version"),
            context=self,
        )

    def train_on_labels(self) -> None:
        """One click from labels to a job: a version of the labeled rows, then the Jobs
        wizard on it with the recipe's tuned defaults."""
        session = self.session
        if session is None:
            return
        session.flush()
        labeling, project = session.labeling, session.project

        def made(version: Any) -> None:
            window = self.window()
            show_pane = getattr(window, "show_pane", None)
            if show_pane is None:
                return
            self.train_wizard = show_pane("jobs").open_wizard(training_spec(project, version))

        run_task(
            lambda _s: to_dataset(labeling, project),
            on_done=made,
            on_error=lambda error, _t: show_user_error(self, error, "Cannot train on the labels"),
            context=self,
        )

    def delete_project(self) -> None:
        project = self.selected()
        labeling = self.labeling
        if project is None or labeling is None:
            return
        labeled = self.projects.row(self.table.selectionModel().selectedRows()[0])
        count = labeled.progress.labeled if labeled else 0

        def delete() -> None:
            if self.session is not None and self.session.project.id == project.id:
                self.session.flush()
            run_task(
                lambda _s: labeling.delete(project.id),
                on_done=lambda _r: self.reload(),
                context=self,
            )

        self.confirm_box = confirm(
            self,
            "Delete the project?",
            f"Delete the labeling project {project.name}?",
            (f"Its {count:,} labels go" if count != 1 else "Its 1 label goes")
            + " with it; the dataset and the versions made from the labels stay.",
            "Delete",
            delete,
        )

    def _reopen(self, project_id: int) -> None:
        if self.session is not None:
            self.session.flush()
            self.session.deleteLater()
            self.session = None
            self.view.set_session(None)
        self.reload(select=project_id)
        self._open_selected()

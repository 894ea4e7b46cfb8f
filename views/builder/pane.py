"""The Builder pane: a palette of layers, the network as a tree with every layer's output
shape, parameters and FLOPs, an editor for the selected layer and for the input and head,
the totals with the training memory for a batch size, and the first error with its fix.

Every edit is a whole new definition pushed on an undo stack (Ctrl+Z / Ctrl+Shift+Z) and
analysed at once by engine/network.py, torch-free, on the GUI thread: fifty layers take
well under a millisecond. Networks open from and save to JSON files, and export as a
standalone PyTorch module.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app import builder as network
from app.builder import editing
from app.core import AppCore
from app.errors import UserError
from app.tasks import run_task
from app.units import human_bytes
from views.builder.network_model import NetworkModel
from views.builder.properties import InputEditor, LayerEditor
from views.builder.storage import NetworkStorage
from views.crash_dialog import show_user_error
from views.widgets.pane_frame import PaneFrame

PALETTE = list(network.LAYER_TYPES)


class Edit(QUndoCommand):
    def __init__(
        self, pane: BuilderPane, text: str, before: dict, after: dict, select: str
    ) -> None:
        super().__init__(text)
        self.pane, self.before, self.after, self.select = pane, before, after, select

    def redo(self) -> None:
        self.pane.show_definition(self.after, self.select)

    def undo(self) -> None:
        self.pane.show_definition(self.before, self.select)


class BuilderPane(PaneFrame):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__(
            "Builder",
            "Compose a network from layers; shapes, parameters and FLOPs update as you edit. "
            "Export it as PyTorch, or open and save it as JSON.",
            parent,
        )
        self.core = core
        self.undo_stack = QUndoStack(self)
        self.storage = NetworkStorage(self)

        self.toolbar = QToolBar()
        templates = QMenu("New from template", self)
        for name in network.TEMPLATES:
            action = templates.addAction(name)
            action.triggered.connect(
                lambda _c=False, n=name: self.start_from(network.TEMPLATES[n], n)
            )
        button = QToolButton()
        button.setText("New from template")
        button.setMenu(templates)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.toolbar.addWidget(button)
        storage = self.storage
        self.save_version_action = self._action(
            "Save version", QKeySequence.StandardKey.Save, storage.save_version
        )
        self.open_saved_action = self._action("Open saved…", "Ctrl+Shift+O", storage.open_saved)
        self.open_action = self._action(
            "Open file…", QKeySequence.StandardKey.Open, storage.open_file
        )
        self.save_action = self._action("Save as file…", "", storage.save_file)
        self.export_action = self._action("Export as PyTorch…", "Ctrl+E", storage.export_file)
        self.train_action = self._action("Train this…", "Ctrl+T", self.train_this)
        self.toolbar.addSeparator()
        self.up_action = self._action("Move up", "Ctrl+Up", lambda: self.move_layer(-1))
        self.down_action = self._action("Move down", "Ctrl+Down", lambda: self.move_layer(1))
        self.wrap_action = self._action("Wrap in Residual", "Ctrl+R", self.wrap)
        self.remove_action = self._action(
            "Remove", QKeySequence(QKeySequence.StandardKey.Delete), self.remove
        )
        self.undo_action = self._action("Undo", QKeySequence.StandardKey.Undo, self.undo_stack.undo)
        self.redo_action = self._action("Redo", QKeySequence.StandardKey.Redo, self.undo_stack.redo)
        self.body.addWidget(self.toolbar)

        self.layer_palette = QListView()
        self.layer_palette.setObjectName("layer-palette")
        self.layer_palette.setModel(QStringListModel(PALETTE, self))
        self.layer_palette.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.layer_palette.setToolTip(
            "Double-click (or Enter) adds the layer after the selected one"
        )
        self.layer_palette.activated.connect(lambda index: self.add(PALETTE[index.row()]))

        self.model = NetworkModel(network.TEMPLATES["MLP"], self)
        self.tree = QTreeView()
        self.tree.setObjectName("network-layers")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setDragDropMode(QTreeView.DragDropMode.InternalMove)
        self.tree.setDropIndicatorShown(True)
        self.model.move_requested.connect(lambda after, path: self.edit("move", after, path))
        header = self.tree.header()
        header.setStretchLastSection(False)  # the layer column takes the room, not FLOPs
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._show_selected())

        self.layer_editor = LayerEditor()
        self.layer_editor.changed.connect(self._layer_edited)
        self.input_editor = InputEditor()
        self.input_editor.changed.connect(self._input_edited)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.input_editor)
        side_layout.addWidget(self.layer_editor)
        side_layout.addStretch(1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.layer_palette)
        splitter.addWidget(self.tree)
        splitter.addWidget(side)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([180, 620, 300])
        self.body.addWidget(splitter, 1)

        self.summary = QLabel()
        self.summary.setObjectName("network-summary")
        self.batch = QSpinBox(minimum=1, maximum=65_536, value=32)
        self.batch.setPrefix("batch ")
        self.batch.valueChanged.connect(lambda _v: self._show_summary())
        self.problem = QLabel()
        self.problem.setObjectName("network-problem")
        self.problem.setWordWrap(True)
        self.fix_button = QPushButton("Fix it")
        self.fix_button.clicked.connect(self.apply_fix)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.batch)
        problems = QHBoxLayout()
        problems.addWidget(self.problem, 1)
        problems.addWidget(self.fix_button)
        self.body.addLayout(problems)
        self.body.addLayout(bottom)
        bottom.insertWidget(0, storage.saved_as)
        self.model.analysed.connect(self._show_summary)
        self.show_definition(network.TEMPLATES["MLP"], "layers[0]")
        core.when_database_ready(lambda _db: storage.reopen_last())

    def _action(self, text: str, shortcut: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        if text not in ("Undo", "Redo"):
            self.toolbar.addAction(action)
        self.addAction(action)
        return action

    # -- showing --------------------------------------------------------------------------

    @property
    def definition(self) -> dict[str, Any]:
        return self.model.definition

    def show_definition(self, definition: dict[str, Any], select: str = "") -> None:
        self.model.set_definition(definition)
        self.tree.expandAll()
        head = definition.get("head") or {}
        self.input_editor.show_input(definition.get("input") or {}, int(head.get("num_classes", 2)))
        if select:
            self.select(select)
        self._show_selected()

    def select(self, path: str) -> None:
        index = self.model.index_of(path) if path else None
        if index is not None and index.isValid():
            self.tree.setCurrentIndex(index)

    def selected_path(self) -> str:
        return self.model.path_of(self.tree.currentIndex())

    def _show_selected(self) -> None:
        path = self.selected_path()
        self.layer_editor.show_layer(self.model.layer(path) if path else None, path)
        for action in (self.up_action, self.down_action, self.wrap_action, self.remove_action):
            action.setEnabled(bool(path))

    def _show_summary(self) -> None:
        analysis = self.model.analysis
        if analysis is None:
            error = self.model.input_error
            self.summary.setText("")
            self.problem.setText(f"input: {error.message}" if error else "")
            self.fix_button.hide()
            return
        memory = human_bytes(analysis.training_memory(self.batch.value()))
        self.summary.setText(
            f"{analysis.params:,} parameters · {analysis.flops:,} FLOPs a sample · "
            f"about {memory} to train with"
        )
        errors = analysis.errors
        if errors:  # what comes after the error is unknown: the totals are of what is known
            self.summary.setText(f"Up to the error: {self.summary.text()}")
            self.problem.setText(f"⚠ {errors[0].path}: {errors[0].message}")
        else:
            self.problem.setText("")
        self.fix_button.setVisible(bool(errors and errors[0].fix))

    # -- edits (each one a new definition on the undo stack) --------------------------------

    def edit(self, text: str, after: dict[str, Any], select: str = "") -> None:
        before = copy.deepcopy(self.definition)
        self.undo_stack.push(Edit(self, text, before, after, select or self.selected_path()))

    def start_from(self, definition: dict[str, Any], name: str) -> None:
        self.storage.path = None
        self.edit(f"template {name}", copy.deepcopy(definition), "layers[0]")

    def add(self, kind: str) -> None:
        after, select = editing.add_layer(self.definition, self.selected_path(), kind)
        self.edit(f"add {kind}", after, select)

    def remove(self) -> None:
        if path := self.selected_path():
            self.edit("remove", *editing.remove_layer(self.definition, path))

    def move_layer(self, step: int) -> None:
        path = self.selected_path()
        moved = editing.move_layer(self.definition, path, step) if path else None
        if moved is not None:
            self.edit("move", *moved)

    def wrap(self) -> None:
        if path := self.selected_path():
            self.edit("wrap in Residual", *editing.wrap_in_residual(self.definition, path))

    def apply_fix(self) -> None:
        analysis = self.model.analysis
        if analysis is None or not analysis.errors or not analysis.errors[0].fix:
            return
        error = analysis.errors[0]
        self.edit("fix", network.apply_fix(self.definition, error.fix), error.path.split(".")[0])

    def _layer_edited(self, layer: dict[str, Any]) -> None:
        path = self.selected_path()
        after = editing.replace_layer(self.definition, path, layer) if path else None
        if after is not None:
            self.edit(f"edit {layer.get('type')}", after, path)

    def _input_edited(self, spec: dict[str, Any], classes: int) -> None:
        after = editing.set_input(self.definition, spec, classes)
        if after is not None:
            self.edit("input", after)

    # -- training -------------------------------------------------------------------------

    def train_this(self) -> None:
        """The Jobs wizard on this network and a dataset that fits it."""
        from app.builder.training import fitting, training_spec

        definition = copy.deepcopy(self.definition)
        datasets = self.core.datasets

        def chosen(found: list) -> None:
            if not found:
                what = {
                    "image": "an image dataset",
                    "tokens": "a table with a text column",
                }.get(definition["input"]["kind"], "a table with enough numeric columns")
                show_user_error(
                    self,
                    UserError(f"No dataset fits this network: import {what} and a label."),
                    "Nothing to train on",
                )
                return
            fit = found[0]
            if len(found) > 1:
                names = [f"{f.version.dataset_name} v{f.version.number}" for f in found]
                name, ok = QInputDialog.getItem(self, "Train this", "Dataset", names, 0, False)
                if not ok:
                    return
                fit = found[names.index(name)]
            show_pane = getattr(self.window(), "show_pane", None)
            if show_pane is not None:
                self.train_wizard = show_pane("jobs").open_wizard(training_spec(definition, fit))

        run_task(
            lambda _s: fitting(datasets, definition),
            on_done=chosen,
            on_error=lambda error, _t: show_user_error(self, error, "Cannot train this network"),
            context=self,
        )

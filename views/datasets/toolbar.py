"""The Datasets tool bar: a tool bar, not a row of buttons, so in a narrow window it folds
into "»". The pane connects each action to what it does."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from app.datasets.samples import SAMPLES


class DatasetsToolbar(QToolBar):
    sample_chosen = Signal(str)
    """The key of the sample to import."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasets-toolbar")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_action = QAction("Import…", self)
        self.import_action.setToolTip("Import files (Ctrl+I); the arrow imports a folder")
        self.folder_action = QAction("Import a folder…", self)
        import_menu = QMenu(self)
        import_menu.addAction(self.import_action)
        import_menu.addAction(self.folder_action)
        self.import_action.setMenu(import_menu)
        self.sample_action = QAction("Try a sample", self)
        samples = QMenu(self)
        for item in SAMPLES:
            action = samples.addAction(f"{item.name}: {item.description}")
            action.triggered.connect(lambda _c=False, key=item.key: self.sample_chosen.emit(key))
        self.sample_action.setMenu(samples)
        self.filter_action = QAction("Clean up…", self)
        self.split_action = QAction("Split…", self)
        self.split_action.setToolTip("Add a train / validation / test split column")
        self.export_action = QAction("Export…", self)
        self.export_action.setToolTip("Write the shown version as CSV, JSON Lines or Parquet")
        self.delete_action = QAction("Delete…", self)
        self.delete_action.setToolTip("Delete the dataset and all its versions (Del)")
        self.addAction(self.import_action)
        self.addAction(self.sample_action)
        for action in (self.import_action, self.sample_action):
            button = self.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setPopupMode(
                    QToolButton.ToolButtonPopupMode.MenuButtonPopup
                    if action is self.import_action
                    else QToolButton.ToolButtonPopupMode.InstantPopup
                )
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        for action in (self.filter_action, self.split_action, self.export_action):
            self.addAction(action)
        self.addSeparator()
        self.addAction(self.delete_action)

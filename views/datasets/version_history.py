"""The Versions tab: every version of a dataset, newest first, with what made it; the pane
connects its buttons (Show, Make current, Compare) to the store's actions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.datasets.store import DatasetVersion
from views.datasets.models import VersionModel


class VersionHistory(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.show_version_button = QPushButton("Show")
        self.show_version_button.setToolTip("Preview this version (double-click)")
        self.current_button = QPushButton("Make current")
        self.current_button.setToolTip("New jobs and actions use the current version")
        self.diff_button = QPushButton("Compare")
        self.diff_button.setToolTip("Compare two selected versions, or one with its parent")
        self.diff_result = QLabel()
        self.diff_result.setObjectName("diff-result")
        self.diff_result.setWordWrap(True)
        self.diff_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_version_button)
        buttons.addWidget(self.current_button)
        buttons.addWidget(self.diff_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.version_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.diff_result)

    def chosen(self) -> list[DatasetVersion]:
        """The selected versions, oldest first."""
        rows = sorted({index.row() for index in self.version_table.selectionModel().selectedRows()})
        return [v for v in (self.versions.row(self.versions.index(r, 0)) for r in rows) if v]

    def update_buttons(self, idle: bool) -> None:
        """Show one; make one current that is not; compare two, or one with its parent."""
        chosen = self.chosen()
        self.show_version_button.setEnabled(len(chosen) == 1)
        self.current_button.setEnabled(
            idle and len(chosen) == 1 and chosen[0].number != self.versions.current
        )
        self.diff_button.setEnabled(
            idle and (len(chosen) == 2 or (len(chosen) == 1 and chosen[0].parent is not None))
        )

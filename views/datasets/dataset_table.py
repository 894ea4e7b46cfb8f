"""The list of datasets: one row each (kind, rows, size, version, last used), sortable."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.datasets.store import Dataset
from views.datasets.models import DatasetListModel, SortRole


class DatasetTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataset-list")
        self.datasets = DatasetListModel(self)
        self.sorted = QSortFilterProxyModel(self)
        self.sorted.setSourceModel(self.datasets)
        self.sorted.setSortRole(SortRole)
        self.setModel(self.sorted)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def selected(self) -> Dataset | None:
        return self.datasets.row(self.sorted.mapToSource(self.currentIndex()))

    def select_source_row(self, row: int) -> None:
        self.selectionModel().setCurrentIndex(
            self.sorted.mapFromSource(self.datasets.index(row, 0)),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

"""The playground's tables: one input's class probabilities, and a batch's answers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from views.widgets.progress_delegate import ProgressRole
from views.widgets.table_model import Index, RowTableModel


class ProbabilityModel(RowTableModel[dict[str, Any]]):
    """Rows {label, p}, likeliest first; the probability column is drawn as a bar."""

    HEADERS = ("Class", "Probability")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None:
            return None
        if index.column() == 0 and role == Qt.ItemDataRole.DisplayRole:
            return row["label"]
        if index.column() == 1:
            if role == ProgressRole:
                return float(row["p"])
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{row['p']:.1%}"
        return None


class PredictionModel(RowTableModel[dict[str, Any]]):
    """A batch's answers: the input, its likeliest class and that class's probability."""

    HEADERS = ("Input", "Class", "Probability")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None:
            return None
        ranked = row.get("labels") or []
        column = index.column()
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("error") or ", ".join(f"{p['label']} {p['p']:.1%}" for p in ranked)
        if column == 2 and role == ProgressRole and ranked:
            return float(ranked[0]["p"])
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return str(row["input"]).replace("\n", " ")
        if not ranked:
            return row.get("error", "") if column == 1 else ""
        return ranked[0]["label"] if column == 1 else f"{ranked[0]['p']:.1%}"

    def append(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

"""The list of labeling projects with their progress, as a Qt item model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from app.labeling.service import Progress
from app.labeling.store import Project
from views.widgets.table_model import Index, RowTableModel


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    dataset: str
    progress: Progress


class ProjectTableModel(RowTableModel[ProjectRow]):
    HEADERS = ("Project", "Dataset", "Labeled")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row.project
        kind = row.project.kind.replace("_", " ") + (" (multi)" if row.project.multi_label else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            classes = ", ".join(row.project.class_names)
            return f"{row.project.name}: {kind} of {row.dataset} ({classes})"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (
            row.project.name,
            row.dataset,
            f"{row.progress.labeled:,} / {row.progress.total:,}",
        )[index.column()]

    def replace(self, row: int, value: ProjectRow) -> None:
        """One row's new counts, in place: the selection and the scroll stay."""
        self._rows[row] = value
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def find(self, project_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.project.id == project_id), -1)

"""The Models pane's list: a table model over registry records and its filter."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from app.models.store import TASK_NAMES, ModelRecord
from app.units import human_bytes
from views.widgets.table_model import Index, RowTableModel

KINDS = (
    ("All models", None),
    ("Base models", "base"),
    ("Trained", "trained"),
    ("Adapters", "adapter"),
)
TASKS = (
    ("Every task", None),
    *((name[0].upper() + name[1:], task) for task, name in TASK_NAMES.items()),
)


def headline(model: ModelRecord) -> str:
    metric = model.headline()
    return f"{metric[0].replace('_', ' ')} {metric[1]:.3g}" if metric else ""


class ModelTableModel(RowTableModel[ModelRecord]):
    HEADERS: ClassVar[tuple[str, ...]] = ("Name", "Kind", "Task", "Base", "Result", "Size")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.names: dict[int, str] = {}

    def set_rows(self, rows: list[ModelRecord]) -> None:
        self.names = {m.id: m.name for m in rows}
        super().set_rows(rows)

    def find(self, model_id: int) -> int:
        return next((i for i, m in enumerate(self._rows) if m.id == model_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        model = self.row(index)
        if model is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return model
        if role == Qt.ItemDataRole.ToolTipRole:
            return model.path or "Built in: the engine makes it from a small configuration"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == 0:
            return ("    ↳ " if model.kind == "adapter" else "") + model.name
        if column == 1:
            return {"base": f"base ({model.source})", "adapter": "LoRA adapter"}.get(
                model.kind, "merged" if model.method == "merged" else "full fine-tune"
            )
        if column == 2:
            return model.task_name
        if column == 3:
            return self.names.get(model.base_id, "") if model.base_id is not None else ""
        if column == 4:
            return headline(model)
        return human_bytes(model.size_bytes) if model.size_bytes else ""


class ModelFilterModel(QSortFilterProxyModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kind: str | None = None
        self.task: str | None = None
        self.text = ""

    def set_filter(self, *, kind: Any = ..., task: Any = ..., text: Any = ...) -> None:
        self.beginFilterChange()
        if kind is not ...:
            self.kind = kind
        if task is not ...:
            self.task = task
        if text is not ...:
            self.text = str(text).casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        source = self.sourceModel()
        assert isinstance(source, ModelTableModel)
        model = source.row(source.index(row, 0, parent))
        if model is None:
            return False
        if self.kind and model.kind != self.kind:
            return False
        if self.task and model.task != self.task:
            return False
        if self.text:
            haystack = " ".join(
                [model.name, model.architecture, model.task_name, str(model.path or "")]
            ).casefold()
            return self.text in haystack
        return True

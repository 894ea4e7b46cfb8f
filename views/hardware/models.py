"""Table models for the Hardware pane, fed plain readings."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.hardware.readings import GpuStatus
from app.hardware.storage import StorageItem
from app.units import human_bytes
from views.widgets.table_model import Index, RowTableModel

PidRole = Qt.ItemDataRole.UserRole + 1
JobRole = Qt.ItemDataRole.UserRole + 2

ProcessRow = tuple[int, int, int | None, str | None]


class GpuProcessModel(RowTableModel[ProcessRow]):
    HEADERS = ("GPU", "PID", "GPU memory", "Job")

    def set_status(self, status: GpuStatus) -> None:
        self.set_rows(
            [(g.index, p.pid, p.used_memory, p.job_id) for g in status.gpus for p in g.processes]
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None:
            return None
        gpu, pid, memory, job = row
        if role == Qt.ItemDataRole.DisplayRole:
            cells = (str(gpu), str(pid), human_bytes(memory), job or "not SparkTrainer")
            return cells[index.column()]
        if role == PidRole:
            return pid
        if role == JobRole:
            return job
        return None


class StorageModel(RowTableModel[StorageItem]):
    HEADERS = ("What", "Size", "Where")

    def set_items(self, items: list[StorageItem]) -> None:
        self.set_rows(items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row(index)
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (item.category, human_bytes(item.size), str(item.path))[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

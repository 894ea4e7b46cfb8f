"""Item models for the datasets list and a dataset's version history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt

from app.datasets.store import Dataset, DatasetVersion
from views.widgets.table_model import Index, RowTableModel

SortRole = Qt.ItemDataRole.UserRole + 1


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count:,.1f} TB"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "3 h ago"; stored times are UTC."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    for limit, size, unit in (
        (60, 1, "s"),
        (3600, 60, "min"),
        (86400, 3600, "h"),
        (86400 * 60, 86400, "days"),
    ):
        if seconds < limit:
            return "just now" if unit == "s" else f"{int(seconds // size)} {unit} ago"
    return moment.astimezone().strftime("%Y-%m-%d")


KIND_NAMES = {"table": "Table", "images": "Images"}


class DatasetListModel(RowTableModel[Dataset]):
    HEADERS = ("Name", "Kind", "Rows", "Size", "Versions", "Last used")

    def find(self, name: str) -> int:
        for row, dataset in enumerate(self._rows):
            if dataset.name == name:
                return row
        return -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        dataset = self.row(index)
        if dataset is None:
            return None
        column = index.column()
        version = dataset.current
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                dataset.name,
                KIND_NAMES.get(version.kind, version.kind),
                f"{version.rows:,}",
                human_bytes(version.bytes),
                f"v{dataset.current_version} of {dataset.versions}",
                ago(dataset.last_used_at),
            )[column]
        if role == SortRole:
            return (
                dataset.name.lower(),
                version.kind,
                version.rows,
                version.bytes,
                dataset.versions,
                dataset.last_used_at.timestamp() if dataset.last_used_at else 0,
            )[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{dataset.name}\nSHA-256 {version.sha256[:16]}…\n{version.path}"
        return None


def describe_operation(operation: dict[str, Any]) -> str:
    kind = operation.get("kind", "")
    if kind == "import":
        return f"Imported from {operation.get('source', '?')}"
    if kind == "split":
        parts = [
            f"{name} {operation[name]:g}"
            for name in ("train", "validation", "test")
            if operation.get(name)  # a split may have no test (or validation) part
        ]
        extra = f", stratified by {operation['stratify']}" if operation.get("stratify") else ""
        return f"Split {' / '.join(parts)} (seed {operation.get('seed')}{extra})"
    if kind == "filter":
        parts = []
        if operation.get("drop_empty"):
            parts.append("dropped empty rows")
        if operation.get("drop_duplicates"):
            parts.append("dropped duplicates")
        if operation.get("min_length") is not None or operation.get("max_length") is not None:
            parts.append(
                f"length {operation.get('min_length') or 0}–{operation.get('max_length') or '∞'}"
            )
        if operation.get("keep_labels") is not None:
            parts.append(f"kept labels {', '.join(operation['keep_labels'])}")
        if operation.get("drop_labels"):
            parts.append(f"dropped labels {', '.join(operation['drop_labels'])}")
        return "Filtered: " + (", ".join(parts) or "no change")
    return kind.capitalize() or "?"


class VersionModel(RowTableModel[DatasetVersion]):
    HEADERS = ("Version", "Rows", "Size", "Made", "Operation", "SHA-256")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.current = 0

    def set_versions(self, versions: list[DatasetVersion], current: int) -> None:
        self.current = current
        self.set_rows(list(reversed(versions)))  # newest first
        if self.rowCount():  # the same rows, another current one: its mark moves
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        version = self.row(index)
        if version is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            number = f"v{version.number}" + (
                "  (current)" if version.number == self.current else ""
            )
            parent = f" ← v{version.parent}" if version.parent else ""
            return (
                number + parent,
                f"{version.rows:,}",
                human_bytes(version.bytes),
                version.created_at.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
                describe_operation(version.operation),
                version.sha256[:12],
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            notes = "\n".join(version.notes)
            return f"{describe_operation(version.operation)}\n{notes}".strip()
        if role == Qt.ItemDataRole.FontRole and version.number == self.current and column == 0:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None

"""The notification history as a Qt list model, fed plain `Notification` rows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from app.notifications import Level, Notification

NotificationRole = Qt.ItemDataRole.UserRole + 1

_LEVEL_MARK = {Level.INFO: "ℹ", Level.SUCCESS: "✔", Level.WARNING: "⚠", Level.ERROR: "✖"}

Index = QModelIndex | QPersistentModelIndex


class NotificationListModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Notification] = []

    def set_notifications(self, rows: list[Notification]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def unread_count(self) -> int:
        return sum(not n.read for n in self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            when = row.created_at.astimezone().strftime("%H:%M") if row.created_at else ""
            text = f"{_LEVEL_MARK[row.level]}  {row.title}"
            return f"{text}\n{row.message}  ·  {when}" if row.message else f"{text}  ·  {when}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.message or row.title
        if role == Qt.ItemDataRole.FontRole and not row.read:
            font = QFont()
            font.setBold(True)
            return font
        if role == NotificationRole:
            return row
        return None

"""The jobs table's view: progress drawn as a bar, and queued jobs dragged into a new order."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QDropEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
)

from app.jobs.states import JobStatus
from app.jobs.store import Job
from views.jobs.models import JobRole, ProgressRole


class ProgressDelegate(QStyledItemDelegate):
    """Paints the progress column as a bar."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        fraction = index.data(ProgressRole)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(4, 5, -4, -5))
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(fraction * 1000)
        bar.text = f"{fraction:.0%}"
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        if option.state & QStyle.StateFlag.State_Selected:
            # On a selected row the cell is the highlight colour, which is also the style's
            # chunk colour: draw the bar in the highlighted-text colour instead.
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
            )
            self._paint_on_highlight(painter, option, bar.rect, fraction, bar.text)
            return
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)

    @staticmethod
    def _paint_on_highlight(
        painter: QPainter, option: QStyleOptionViewItem, rect: QRect, fraction: float, text: str
    ) -> None:
        palette = option.palette
        ink = palette.color(QPalette.ColorRole.HighlightedText)
        ground = palette.color(QPalette.ColorRole.Highlight)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(ink)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 3, 3)
        chunk = QRect(rect.adjusted(2, 2, -2, -2))
        chunk.setWidth(int(chunk.width() * max(0.0, min(1.0, fraction))))
        painter.fillRect(chunk, ink)
        # The text reads in the highlight colour over the chunk and in ink beside it.
        painter.setPen(ground.darker(130))
        painter.setClipRect(chunk)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.setClipRect(QRect(chunk.right() + 1, rect.top(), rect.width(), rect.height()))
        painter.setPen(ink)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(110, super().sizeHint(option, index).height())


class JobTableView(QTableView):
    """Queued jobs are dragged to a new place in the queue."""

    moved = Signal(str, object)
    """The dragged job's id and the id of the job it now comes before (None: last)."""

    def __init__(self) -> None:
        super().__init__()
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def _job_at(self, index: QModelIndex) -> Job | None:
        return index.data(JobRole) if index.isValid() else None

    def dragMoveEvent(self, event) -> None:
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        dragged = self._job_at(self.currentIndex())
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the model is not asked to move rows
        event.accept()
        if dragged is None or dragged.status != JobStatus.QUEUED:
            return
        target = self._job_at(self.indexAt(event.position().toPoint()))
        self.moved.emit(dragged.id, target.id if target is not None else None)

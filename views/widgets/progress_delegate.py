"""A fraction drawn as a progress bar in a table cell (job progress, class probabilities)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from views.widgets.table_model import Index

ProgressRole = Qt.ItemDataRole.UserRole + 1
"""The fraction (0 to 1) a cell shows as a bar; None paints the cell as text."""


class ProgressDelegate(QStyledItemDelegate):
    """Paints a column's ProgressRole fraction as a bar."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
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
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter  # the style's default is the left edge
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

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(110, super().sizeHint(option, index).height())

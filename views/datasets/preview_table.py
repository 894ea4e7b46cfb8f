"""A table over millions of rows that only ever holds one screenful.

Qt's item views lay rows out in pixels held in ints, which overflow past about
70 million rows, and a model with ten million rows makes every header resize
walk them. Here the model holds only the rows on screen; a scroll bar of our
own stands for the whole file, and moving it moves the window. Rows come from
`RowWindow`: from its cache at once, otherwise read by a worker while the page
shows "…" for the few milliseconds it takes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollBar,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.datasets.row_window import RowWindow
from app.tasks import TaskHandle, run_task

Index = QModelIndex | QPersistentModelIndex
CELL_CHARS = 300
"""Longer values are cut in the cell; the tooltip shows more."""
TOOLTIP_CHARS = 2000
PENDING = "…"
MAX_WIDTH = 420
"""Widest a column starts out (fitted to the first page); the person may widen it."""


def _cell_text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\n", " ⏎ ") if limit == CELL_CHARS else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PreviewModel(QAbstractTableModel):
    """The rows from `offset` to `offset + page_size` of a `RowWindow`."""

    page_loaded = Signal(int)
    """Emitted with the offset whose rows just arrived (the benchmark and tests wait on it)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window: RowWindow | None = None
        self._offset = 0
        self._page_size = 40
        self._rows: list[list[Any]] | None = None
        self._generation = 0
        self._pending: TaskHandle | None = None

    # -- what it shows ---------------------------------------------------------------------

    @property
    def source(self) -> RowWindow | None:
        return self._window

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def total_rows(self) -> int:
        return self._window.num_rows if self._window else 0

    @property
    def loaded(self) -> bool:
        return self._rows is not None

    def set_source(self, window: RowWindow | None) -> None:
        self.beginResetModel()
        self._window, self._offset, self._rows = window, 0, None
        self._generation += 1
        self.endResetModel()
        self._fetch()

    def set_page_size(self, size: int) -> None:
        size = max(1, size)
        if size != self._page_size:
            self.beginResetModel()
            self._page_size, self._rows = size, None
            self._generation += 1
            self.endResetModel()
            self._fetch()

    def set_offset(self, offset: int) -> None:
        if self._window is None:
            return
        offset = max(0, min(offset, max(0, self._window.num_rows - 1)))
        if offset == self._offset and self._rows is not None:
            return
        self._offset = offset
        self._generation += 1
        self._rows = None
        self._fetch()
        self._emit_all_changed()

    def _visible_count(self) -> int:
        if self._window is None:
            return 0
        return max(0, min(self._page_size, self._window.num_rows - self._offset))

    def _fetch(self) -> None:
        window = self._window
        if window is None:
            return
        offset, count, generation = self._offset, self._visible_count(), self._generation
        rows = window.cached(offset, count)
        if rows is not None:
            self._arrive(generation, offset, rows)
            return
        if self._pending is not None:
            self._pending.cancel()  # the person scrolled on: that page is not needed
        self._pending = run_task(
            lambda state: (state.raise_if_cancelled(), window.rows(offset, count))[1],
            on_done=lambda result: self._arrive(generation, offset, result),
            context=self,
        )

    def _arrive(self, generation: int, offset: int, rows: list[list[Any]]) -> None:
        if generation != self._generation:
            return  # the person scrolled on; a newer page is on its way
        self._rows = rows
        self._emit_all_changed()
        self.page_loaded.emit(offset)

    def _emit_all_changed(self) -> None:
        count = self._visible_count()
        if count and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(count - 1, self.columnCount() - 1))
        if count:
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, count - 1)

    # -- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else min(self._page_size, self.total_rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._window is None else len(self._window.columns)

    def value(self, row: int, column: int) -> Any:
        if self._rows is None or not 0 <= row < len(self._rows):
            return None
        return self._rows[row][column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if row >= self._visible_count():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if self._rows is None:
                return PENDING
            return _cell_text(self.value(row, column), CELL_CHARS)
        if role == Qt.ItemDataRole.ToolTipRole and self._rows is not None:
            text = _cell_text(self.value(row, column), TOOLTIP_CHARS)
            return text if len(text) > 40 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and self._window is not None:
            kind = self._window.types[column]
            if _is_numeric(kind):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or self._window is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._window.columns[section]
        if section < self._visible_count():
            return f"{self._offset + section + 1:,}"
        return ""


def _is_numeric(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


class PreviewTable(QWidget):
    """The table, the scroll bar that stands for the whole file, and "Go to row"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PreviewModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        horizontal = self.view.horizontalHeader()
        horizontal.setDefaultSectionSize(160)
        # Not the last column stretched (a one-digit "stars" took half the table while the
        # text was cut): spare width goes to the columns whose text was cut (see _fit).
        self.view.installEventFilter(self)
        self.view.viewport().installEventFilter(self)

        self.scrollbar = QScrollBar(Qt.Orientation.Vertical)
        self.scrollbar.setObjectName("preview-rows")
        self.scrollbar.valueChanged.connect(self.model.set_offset)

        self.go_to = QSpinBox()
        self.go_to.setObjectName("go-to-row")
        self.go_to.setPrefix("Row ")
        self.go_to.setMinimum(1)
        self.go_to.setGroupSeparatorShown(True)
        self.go_to.setKeyboardTracking(False)
        self.go_to.setToolTip("Go to a row (Ctrl+G)")
        self.go_to.valueChanged.connect(lambda value: self.scroll_to_row(value - 1))
        self.summary = QLabel()
        self.summary.setProperty("role", "muted")

        table_row = QHBoxLayout()
        table_row.setSpacing(0)
        table_row.addWidget(self.view, 1)
        table_row.addWidget(self.scrollbar)
        footer = QHBoxLayout()
        footer.addWidget(self.summary, 1)
        footer.addWidget(QLabel("Go to"))
        footer.addWidget(self.go_to)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(table_row, 1)
        layout.addLayout(footer)
        self.model.page_loaded.connect(self._on_page_loaded)
        self._fit_columns = False

    def set_source(self, window: RowWindow | None) -> None:
        self._fit_columns = True
        self.model.set_source(window)
        total = window.num_rows if window else 0
        self.scrollbar.blockSignals(True)
        self.scrollbar.setValue(0)
        self.scrollbar.blockSignals(False)
        self.go_to.blockSignals(True)
        self.go_to.setMaximum(max(1, total))
        self.go_to.setValue(1)
        self.go_to.blockSignals(False)
        self._update_range()
        self._sync_footer()

    def scroll_to_row(self, row: int) -> None:
        """Show `row` (0-based) at the top, or as near the end as the page allows."""
        self.scrollbar.setValue(row)

    def _page_rows(self) -> int:
        height = self.view.verticalHeader().defaultSectionSize() or 24
        return max(1, self.view.viewport().height() // height)

    def _update_range(self) -> None:
        page = self._page_rows()
        self.model.set_page_size(page + 1)  # one part-visible row at the bottom
        total = self.model.total_rows
        self.scrollbar.setPageStep(page)
        self.scrollbar.setSingleStep(1)
        self.scrollbar.setMaximum(max(0, total - page))

    def _on_page_loaded(self, _offset: int) -> None:
        if self._fit_columns:
            self._fit_columns = False
            self._fit()
        self._sync_footer()

    def _fit(self) -> None:
        """Columns as wide as their text, within [60, MAX_WIDTH] px; the width left over
        is shared by the columns that were cut, so long text shows as much as fits."""
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        wanted = [header.sectionSize(c) for c in range(self.model.columnCount())]
        widths = [min(max(w, 60), MAX_WIDTH) for w in wanted]
        cut = [c for c, w in enumerate(wanted) if w > MAX_WIDTH]
        spare = self.view.viewport().width() - sum(widths)
        if spare > 0 and cut:
            for column in cut:
                widths[column] = min(wanted[column], widths[column] + spare // len(cut))
        for column, width in enumerate(widths):
            header.resizeSection(column, width)

    def _sync_footer(self, *_args) -> None:
        total = self.model.total_rows
        if not total:
            self.summary.setText("No rows")
            return
        first = self.model.offset + 1
        last = min(total, self.model.offset + self._page_rows())
        self.summary.setText(f"Rows {first:,}–{last:,} of {total:,}")
        self.go_to.blockSignals(True)
        self.go_to.setValue(first)
        self.go_to.blockSignals(False)

    # -- scrolling with wheel and keys ---------------------------------------------------

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_range()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._update_range()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and watched is self.view.viewport():
            wheel: QWheelEvent = event  # type: ignore[assignment]
            if wheel.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                return False  # sideways
            steps = wheel.angleDelta().y() / 120
            if steps:
                lines = QApplication.wheelScrollLines() or 3
                self.scrollbar.setValue(self.scrollbar.value() - round(steps * lines))
                return True
        if event.type() == QEvent.Type.KeyPress and watched is self.view:
            return self._key(event)  # type: ignore[arg-type]
        if event.type() == QEvent.Type.Resize and watched is self.view.viewport():
            self._update_range()
        return False

    def _key(self, event: QKeyEvent) -> bool:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            return True
        current = self.view.currentIndex()
        row = current.row() if current.isValid() else 0
        page = self._page_rows()
        key, ctrl = event.key(), event.modifiers() & Qt.KeyboardModifier.ControlModifier
        bar = self.scrollbar
        if key == Qt.Key.Key_Down and row >= page - 1:
            bar.setValue(bar.value() + 1)
        elif key == Qt.Key.Key_Up and row <= 0:
            bar.setValue(bar.value() - 1)
        elif key == Qt.Key.Key_PageDown:
            bar.setValue(bar.value() + page)
        elif key == Qt.Key.Key_PageUp:
            bar.setValue(bar.value() - page)
        elif key == Qt.Key.Key_Home and ctrl:
            bar.setValue(0)
        elif key == Qt.Key.Key_End and ctrl:
            bar.setValue(bar.maximum())
        elif key == Qt.Key.Key_G and ctrl:
            self.go_to.setFocus()
            self.go_to.selectAll()
        else:
            return False
        return True

    def copy_selection(self) -> None:
        """Tab-separated, so it pastes into a spreadsheet."""
        indexes = sorted(self.view.selectedIndexes(), key=lambda i: (i.row(), i.column()))
        if not indexes:
            return
        lines: dict[int, list[str]] = {}
        for index in indexes:
            value = self.model.value(index.row(), index.column())
            lines.setdefault(index.row(), []).append("" if value is None else str(value))
        QApplication.clipboard().setText("\n".join("\t".join(v) for v in lines.values()))

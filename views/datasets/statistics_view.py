"""Statistics of a version: label distribution and text lengths as charts, a column table.

Everything shown was computed at import (it is stored with the version), so
opening this tab reads nothing from disk.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from views.widgets.table_model import Index, RowTableModel

BAR = "#3b7dd8"
LABELS_SHOWN = 30


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class ColumnSummaryModel(RowTableModel[tuple[str, dict[str, Any]]]):
    HEADERS = ("Column", "Type", "Nulls", "Distinct", "Min", "Max", "Mean", "Top values")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        name, summary = row
        column = index.column()
        if column == 0:
            return name
        if column == 1:
            return summary.get("type", "")
        if column == 7:
            top = summary.get("top") or []
            text = ", ".join(f"{str(value)[:30]} ({count:,})" for value, count in top[:5])
            return text
        key = ("", "", "nulls", "distinct", "min", "max", "mean")[column]
        if key != "nulls" and summary.get("not_computed"):
            return "not computed"  # no kernel for the type (float16, duration)
        return _number(summary.get(key))


class StatisticsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel()
        self.headline.setWordWrap(True)

        self.labels_plot = pg.PlotWidget(background=None)
        self.labels_plot.setObjectName("label-distribution")
        self.labels_plot.setMinimumHeight(160)
        self.labels_plot.setMaximumHeight(240)
        self.labels_plot.getPlotItem().setMenuEnabled(False)
        self.labels_plot.setLabel("left", "rows")
        self.labels_box = QGroupBox("Label distribution")
        QVBoxLayout(self.labels_box).addWidget(self.labels_plot)

        self.lengths_plot = pg.PlotWidget(background=None)
        self.lengths_plot.setObjectName("length-histogram")
        self.lengths_plot.setMinimumHeight(160)
        self.lengths_plot.setMaximumHeight(240)
        self.lengths_plot.getPlotItem().setMenuEnabled(False)
        self.lengths_plot.setLabel("left", "rows")
        self.lengths_box = QGroupBox("Text length (characters)")
        QVBoxLayout(self.lengths_box).addWidget(self.lengths_plot)

        self.columns = ColumnSummaryModel(self)
        table = QTableView()
        table.setMinimumHeight(120)
        table.setModel(self.columns)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.column_table = table

        charts = QGridLayout()
        charts.addWidget(self.labels_box, 0, 0)
        charts.addWidget(self.lengths_box, 0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.headline)
        layout.addLayout(charts)
        layout.addWidget(table, 1)

    def show_stats(self, stats: dict[str, Any] | None) -> None:
        stats = stats or {}
        self.columns.set_rows(list((stats.get("columns") or {}).items()))
        parts = [f"{stats.get('rows', 0):,} rows"]
        if stats.get("images"):
            width, height = stats["images"]["width"], stats["images"]["height"]
            parts.append(
                f"images {width['min']}–{width['max']} × {height['min']}–{height['max']} px "
                f"(median {width['median']:.0f} × {height['median']:.0f})"
            )
        if _text_lengths(stats).get("counts"):
            lengths = stats["text_lengths"]
            parts.append(
                f"{stats['text_column']!r}: {lengths['min']:,}–{lengths['max']:,} characters, "
                f"mean {lengths['mean']:,.0f}"
            )
        self.headline.setText(" · ".join(parts))
        self._plot_labels(stats)
        self._plot_lengths(stats)

    def _plot_labels(self, stats: dict[str, Any]) -> None:
        plot = self.labels_plot
        plot.clear()
        labels = stats.get("labels") or []
        self.labels_box.setVisible(bool(labels))
        if not labels:
            return
        self.labels_box.setTitle(f"Label distribution ({stats.get('label_column')})")
        shown = labels[:LABELS_SHOWN]
        counts = [count for _label, count in shown]
        plot.addItem(
            pg.BarGraphItem(x=list(range(len(shown))), height=counts, width=0.7, brush=BAR)
        )
        ticks = [(i, str(label)[:14]) for i, (label, _count) in enumerate(shown)]
        plot.getAxis("bottom").setTicks([ticks])
        plot.setXRange(-0.6, len(shown) - 0.4, padding=0)
        plot.setYRange(0, max(counts) * 1.05, padding=0)

    def _plot_lengths(self, stats: dict[str, Any]) -> None:
        plot = self.lengths_plot
        plot.clear()
        lengths = _text_lengths(stats)
        counts, edges = lengths.get("counts") or [], lengths.get("edges") or []
        self.lengths_box.setVisible(bool(counts))
        if not counts:
            return
        self.lengths_box.setTitle(f"Text length of {stats.get('text_column')!r} (characters)")
        plot.addItem(
            pg.PlotDataItem(edges, counts, stepMode="center", fillLevel=0, brush=BAR, pen=BAR)
        )
        plot.getAxis("bottom").setTicks(None)


def _text_lengths(stats: dict[str, Any]) -> dict[str, Any]:
    """The text-length histogram; none for images, whose string columns are file paths
    (versions imported before this rule stored one)."""
    return {} if stats.get("images") else stats.get("text_lengths") or {}

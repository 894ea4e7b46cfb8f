"""Two to eight jobs side by side: overlaid curves, final metrics (each beside the
baseline of that job's validation split), and the spec fields that differ (only those)."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.jobs.results import baseline_value, result_text
from app.jobs.spec_diff import shown, spec_differences
from app.jobs.store import Job, MetricSeries
from app.tasks import run_task
from views.jobs.metrics_plot import COLOURS, MetricsPlot
from views.widgets.table_model import Index, RowTableModel

MAX_JOBS = 8


class TableModel(RowTableModel[list[str]]):
    def set_table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.beginResetModel()
        self.HEADERS = tuple(headers)  # type: ignore[misc]
        self._rows = rows
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return row[index.column()]


def _final(series: MetricSeries) -> float:
    values = series.values[~np.isnan(series.values)]
    return float(values[-1]) if len(values) else math.nan


class ComparisonDialog(QDialog):
    def __init__(self, core, jobs: list[Job], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs[:MAX_JOBS]
        self._core = core
        self._series: dict[str, dict[str, MetricSeries]] = {}
        self.setWindowTitle(f"Compare {len(self.jobs)} jobs")
        self.resize(1100, 760)
        self.align = QComboBox()
        self.align.addItem("Align by step", "step")
        self.align.addItem("Align by time since start", "time")
        self.align.currentIndexChanged.connect(self._plot)
        self.plot = MetricsPlot()
        self.finals = TableModel(self)
        self.differences = TableModel(self)
        legend = QLabel(
            "  ".join(
                f"<span style='color:{COLOURS[i % len(COLOURS)]}'>■</span> {escape(job.name)}"
                for i, job in enumerate(self.jobs)
            )
        )
        top = QHBoxLayout()
        top.addWidget(legend, 1)
        top.addWidget(self.align)
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addLayout(top)
        curves_layout.addWidget(self.plot, 1)

        tables = QTabWidget()
        for model, title, name in (
            (self.finals, "Final metrics", "final-metrics"),
            (self.differences, "Spec differences", "spec-differences"),
        ):
            view = QTableView()
            view.setObjectName(name)
            view.setModel(model)
            view.verticalHeader().hide()
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            tables.addTab(view, title)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(curves)
        splitter.addWidget(tables)
        splitter.setSizes([480, 220])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)

        rows = spec_differences([job.spec for job in self.jobs])
        self.differences.set_table(
            ["Field", *[job.name for job in self.jobs]],
            [[key, *map(shown, values)] for key, values in rows]
            or [["(the specs are the same)", *[""] * len(self.jobs)]],
        )
        store = core.jobs.store
        ids = [job.id for job in self.jobs]
        run_task(
            lambda _s: {job_id: store.metric_arrays(job_id) for job_id in ids},
            on_done=self._on_loaded,
            context=self,
        )

    def _on_loaded(self, series: dict[str, dict[str, MetricSeries]]) -> None:
        self._series = series
        names = sorted({name for metrics in series.values() for name in metrics})
        # Each job is judged against its own baseline: their validation splits may differ.
        rows = [["against the baseline", *[result_text(job.result) or "—" for job in self.jobs]]]
        for name in names:
            row = [name]
            for job in self.jobs:
                data = series.get(job.id, {}).get(name)
                cell = "" if data is None else f"{_final(data):.5g}"
                reference = baseline_value(job.result, name)
                if cell and reference is not None:
                    cell += f" (baseline {reference:.5g})"
                row.append(cell)
            rows.append(row)
        self.finals.set_table(["Metric", *[job.name for job in self.jobs]], rows)
        self._plot()

    def _plot(self) -> None:
        by_time = self.align.currentData() == "time"
        self.plot.clear()
        self.plot.x_label = "seconds since start" if by_time else "step"
        for number, job in enumerate(self.jobs):
            self.plot.show_run(
                job.id,
                self._series.get(job.id, {}),
                label=job.name,
                colour=COLOURS[number % len(COLOURS)],
                by_time=by_time,
            )
        self.plot.redraw()

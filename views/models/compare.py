"""Two to four models side by side: what they are and the metrics they reached (the best in
bold), their jobs' curves overlaid, the spec fields those jobs differ in, and for text
generation models the same prompt answered by each."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.jobs.spec_diff import shown
from app.models.comparison import Comparison, best_column, compare_models
from app.models.registry import ModelRegistry
from app.models.store import ModelRecord
from app.tasks import run_task
from views.crash_dialog import show_user_error
from views.jobs.metrics_plot import COLOURS, MetricsPlot
from views.models.compare_prompt import SamePrompt
from views.widgets.table_model import Index, RowTableModel


class SideBySide(RowTableModel[list[str]]):
    """Rows of one value per model; cells named in `bold` are the best of their row."""

    def set_table(
        self, headers: list[str], rows: list[list[str]], bold: set[tuple[int, int]] | None = None
    ) -> None:
        self.beginResetModel()
        self.HEADERS = tuple(headers)  # type: ignore[misc]
        self._rows = rows
        self._bold = bold or set()
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return row[index.column()]
        if role == Qt.ItemDataRole.FontRole and (index.row(), index.column()) in self._bold:
            font = QFont()
            font.setBold(True)
            return font
        return None


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.5g}"


class ModelComparisonDialog(QDialog):
    def __init__(
        self,
        registry: ModelRegistry,
        models: list[ModelRecord],
        idle_seconds: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.models = models
        self.comparison: Comparison | None = None
        self.setWindowTitle(f"Compare {len(models)} models")
        self.resize(1100, 760)
        headers = ["", *[model.name for model in models]]

        legend = QLabel(
            "  ".join(
                f"<span style='color:{COLOURS[i % len(COLOURS)]}'>■</span> {escape(m.name)}"
                for i, m in enumerate(models)
            )
        )
        self.summary = SideBySide(self)
        self.summary.set_table(headers, [["Reading…", *[""] * len(models)]])
        self.differences = SideBySide(self)
        self.align = QComboBox()
        self.align.addItem("Align by step", "step")
        self.align.addItem("Align by time since start", "time")
        self.align.currentIndexChanged.connect(self._plot)
        self.plot = MetricsPlot()
        self.no_curves = QLabel("None of these models was trained here: there are no curves.")
        self.no_curves.setProperty("role", "muted")
        self.no_curves.hide()
        curves = QWidget()
        column = QVBoxLayout(curves)
        top = QHBoxLayout()
        top.addWidget(self.no_curves, 1)
        top.addStretch(1)
        top.addWidget(self.align)
        column.addLayout(top)
        column.addWidget(self.plot, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._table(self.summary, "summary"), "Summary")
        self.tabs.addTab(curves, "Curves")
        self.tabs.addTab(self._table(self.differences, "spec-differences"), "Spec differences")
        self.prompt = SamePrompt(models, idle_seconds, self)
        if self.prompt.columns:
            self.tabs.addTab(self.prompt, "Same prompt")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(legend)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

        ids = [model.id for model in models]
        run_task(
            lambda _s: compare_models(registry, ids, with_curves=True),
            on_done=self._show,
            on_error=lambda error, _text: show_user_error(self, error, "Cannot compare"),
            context=self,
        )

    @staticmethod
    def _table(model: SideBySide, name: str) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.verticalHeader().hide()
        view.setWordWrap(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        return view

    def _show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        headers = ["", *[model.name for model in comparison.models]]
        rows = [[what, *values] for what, values in comparison.facts]
        bold = set()
        for name, values in comparison.metrics:
            best = best_column(name, values)
            if best is not None:
                bold.add((len(rows), best + 1))
            rows.append([name, *map(_number, values)])
        self.summary.set_table(headers, rows, bold)
        differences = [[key, *map(shown, values)] for key, values in comparison.differences]
        if not differences:
            note = (
                "(their jobs' specs are the same)"
                if comparison.trained_here >= 2
                else "(fewer than two of these models were trained here: no specs to compare)"
            )
            differences = [[note, *[""] * len(comparison.models)]]
        self.differences.set_table(["Field", *headers[1:]], differences)
        self.no_curves.setVisible(not comparison.curves)
        self._plot()

    def _plot(self) -> None:
        if self.comparison is None:
            return
        by_time = self.align.currentData() == "time"
        self.plot.clear()
        self.plot.x_label = "seconds since start" if by_time else "step"
        for number, model in enumerate(self.comparison.models):
            self.plot.show_run(
                str(model.id),
                self.comparison.curves.get(model.id, {}),
                label=model.name,
                colour=COLOURS[number % len(COLOURS)],
                by_time=by_time,
            )
        self.plot.redraw()

    def done(self, result: int) -> None:
        self.prompt.shutdown()  # the workers hold models in memory: they go with the dialog
        super().done(result)

"""Live training curves that stay smooth at millions of points.

The whole series lives in numpy arrays here (and in the database); the plot is
only ever handed what the view can show: the points inside the visible range,
cut to at most `MAX_POINTS` by keeping each bucket's minimum and maximum, so a
loss spike never disappears. Panning or zooming recuts that slice; incoming
events only mark the plot dirty, and a 10 Hz timer repaints. pyqtgraph's own
clip-to-view and downsampling stay on as a second guard, with float64 x so
steps past 16 million keep their place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

MAX_POINTS = 2_000
"""Buckets per curve on screen (two points each): more than a plot is wide in pixels."""
REPAINT_MS = 100
PANEL_HEIGHT = 190
COLOURS = ("#3b7dd8", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#1098ad", "#d6336c", "#5c7cfa")

PANELS = (
    ("loss", "Loss"),
    ("evaluation", "Evaluation"),
    ("learning_rate", "Learning rate"),
    ("grad_norm", "Gradient norm"),
    ("samples", "Samples / s"),
    ("tokens", "Tokens / s"),
    ("gpu", "GPU: utilisation %, memory %, temperature °C"),
    ("other", "Other"),
)
PANEL_ORDER = [key for key, _title in PANELS]


def panel_of(name: str) -> str:
    if name in ("loss", "eval_loss"):
        return "loss"
    if name.startswith("eval"):
        return "evaluation"
    if name.startswith("gpu_"):
        return "gpu"
    if name == "tokens_per_second":
        return "tokens"
    if name.endswith("_per_second"):
        return "samples"
    if name in ("learning_rate", "grad_norm"):
        return name
    return "other"


def panel_order(name: str) -> tuple[int, str]:
    """Sort key: curves are added loss first, so the panels come in a fixed order."""
    return PANEL_ORDER.index(panel_of(name)), name


class Series:
    """A growing float64 (x, y) array pair: amortised O(1) appends, views without copies."""

    def __init__(self, x: np.ndarray | None = None, y: np.ndarray | None = None) -> None:
        size = 0 if x is None else len(x)
        capacity = max(1024, size + size // 8)  # room to grow live without doubling a big run
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.size = size
        if size:
            self._x[:size], self._y[:size] = x, y

    def extend(self, xs: Iterable[float], ys: Iterable[float]) -> None:
        xs, ys = np.asarray(list(xs), float), np.asarray(list(ys), float)
        need = self.size + len(xs)
        if need > len(self._x):
            capacity = max(need, len(self._x) * 2)
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self.size : need], self._y[self.size : need] = xs, ys
        self.size = need

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]


def decimate(
    x: np.ndarray, y: np.ndarray, low: float, high: float, buckets: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """The points with x in [low, high] (and one either side, so lines reach the edges),
    at most 2 × `buckets` of them: each bucket's min and max, in x order."""
    start = max(0, int(np.searchsorted(x, low, "left")) - 1)
    end = min(len(x), int(np.searchsorted(x, high, "right")) + 1)
    xs, ys = x[start:end], y[start:end]
    count = len(xs)
    if count <= buckets * 2:
        return xs, ys
    per = count // buckets
    usable = per * buckets
    shaped = ys[:usable].reshape(buckets, per)
    if np.isnan(shaped).any():  # NaN (a null from the engine) must not win a bucket
        low_at = np.argmin(np.where(np.isnan(shaped), np.inf, shaped), axis=1)
        high_at = np.argmax(np.where(np.isnan(shaped), -np.inf, shaped), axis=1)
    else:
        low_at = np.argmin(shaped, axis=1)
        high_at = np.argmax(shaped, axis=1)
    base = np.arange(buckets) * per
    first = np.minimum(low_at, high_at) + base
    second = np.maximum(low_at, high_at) + base
    order = np.empty(buckets * 2, dtype=np.int64)
    order[0::2], order[1::2] = first, second
    tail = np.arange(usable, count)  # the last partial bucket, kept whole (< `per` points)
    order = np.concatenate([order, tail])
    return xs[order], ys[order]


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average, over the points shown."""
    if weight <= 0 or len(values) == 0:
        return values
    out = np.empty_like(values)
    last, count = 0.0, 0
    for index, value in enumerate(values.tolist()):
        if math.isnan(value):
            out[index] = math.nan
            continue
        count += 1
        last = last * weight + (1 - weight) * value
        out[index] = last / (1 - weight**count)
    return out


@dataclass
class Curve:
    key: tuple[str, str]
    """(run, metric)."""
    label: str
    colour: str
    series: Series
    items: list = field(default_factory=list)
    """The raw curve and, while smoothing, the smoothed one on top."""


class MetricsPlot(QWidget):
    """A panel per group of metrics (loss with eval loss, learning rate, …), x linked."""

    redrawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.graphics.setObjectName("metric-plots")
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(0)
        self.smoothing.setMaximumWidth(160)
        self.smoothing.setToolTip("Exponential moving average of the points shown")
        self.smoothing.valueChanged.connect(lambda _v: self.redraw())
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.toggled.connect(self._apply_log)
        self.hover = QLabel()
        self.hover.setObjectName("hover-values")
        self.hover.setProperty("role", "muted")
        # Eight metrics' read-outs are wider than the window: the label takes the width it
        # is given (elided), never asks for more, so hovering cannot widen the window.
        self.hover.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing)
        controls.addWidget(self.log_scale)
        controls.addWidget(self.hover, 1)
        self.reset_button = None
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(self.graphics)
        self.scroll.setToolTip("Wheel: scroll the charts · Ctrl+wheel: zoom · drag: pan")
        # The wheel scrolls the list of charts; with Ctrl held it zooms the chart under it.
        self.graphics.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.scroll, 1)

        self._plots: dict[str, pg.PlotItem] = {}
        self._curves: dict[tuple[str, str], Curve] = {}
        self._cursor_lines: list[pg.InfiniteLine] = []
        self._dirty = False
        self._timer = QTimer(self, interval=REPAINT_MS)
        self._timer.timeout.connect(self._repaint_if_dirty)
        self._timer.start()
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.x_label = "step"

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and not (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier  # type: ignore[attr-defined]
        ):
            QApplication.sendEvent(self.scroll.verticalScrollBar(), event)
            return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            for plot in self._plots.values():
                self._style_legend(plot.legend)
        super().changeEvent(event)

    def _style_legend(self, legend: pg.LegendItem | None) -> None:
        """Legends in the theme's colours: a dark theme gets a dark legend, not grey on
        light grey."""
        if legend is None:
            return
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        base.setAlpha(200)
        legend.setBrush(pg.mkBrush(base))
        legend.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        legend.setLabelTextColor(palette.color(QPalette.ColorRole.Text))
        for _sample, label in legend.items:
            label.setText(label.text, color=palette.color(QPalette.ColorRole.Text))

    # -- data ------------------------------------------------------------------------------

    def clear(self) -> None:
        self.graphics.clear()
        self.graphics.setMinimumHeight(0)
        self._plots.clear()
        self._curves.clear()
        self._cursor_lines.clear()
        self.hover.clear()

    @property
    def curves(self) -> dict[tuple[str, str], Curve]:
        return self._curves

    def point_count(self) -> int:
        return sum(curve.series.size for curve in self._curves.values())

    def set_series(
        self,
        run: str,
        metric: str,
        x: np.ndarray,
        y: np.ndarray,
        *,
        label: str = "",
        colour: str | None = None,
    ) -> None:
        """Replace one curve's points (the job was opened: everything the database holds)."""
        curve = self._curve(run, metric, label, colour)
        curve.series = Series(np.asarray(x, float), np.asarray(y, float))
        self._dirty = True

    def show_run(
        self,
        run: str,
        metrics: Mapping[str, Any],
        *,
        label: str,
        colour: str,
        by_time: bool = False,
    ) -> None:
        """Every metric of one run in one colour (`MetricSeries` by name), by step or by
        seconds since the run's first point: runs laid over each other in a comparison."""
        for name in sorted(metrics, key=panel_order):
            data = metrics[name]
            x = data.times - data.times.min() if by_time and len(data.times) else data.steps
            order = np.argsort(x, kind="stable")
            self.set_series(
                run, name, x[order], data.values[order], label=f"{label}: {name}", colour=colour
            )

    def append(self, run: str, metric: str, xs: Iterable[float], ys: Iterable[float]) -> None:
        """New points from a live job; painted with the next tick, not now."""
        self._curve(run, metric, "", None).series.extend(xs, ys)
        self._dirty = True

    def _curve(self, run: str, metric: str, label: str, colour: str | None) -> Curve:
        key = (run, metric)
        curve = self._curves.get(key)
        if curve is None:
            plot = self._plot(panel_of(metric))
            colour = colour or COLOURS[len(self._curves) % len(COLOURS)]
            curve = Curve(key, label or metric, colour, Series())
            raw = pg.PlotDataItem(pen=self._pen(curve), name=curve.label, skipFiniteCheck=True)
            raw.setClipToView(True)
            raw.setDownsampling(auto=True, method="peak")
            plot.addItem(raw)
            curve.items.append(raw)
            self._curves[key] = curve
        return curve

    def _plot(self, panel: str) -> pg.PlotItem:
        plot = self._plots.get(panel)
        if plot is None:
            title = dict(PANELS).get(panel, "Other")
            # One column: pyqtgraph links x by screen position, so linked panels must be
            # stacked at the same x and width; the column scrolls when it is tall.
            plot = self.graphics.addPlot(row=len(self._plots), col=0)
            plot.setTitle(title, justify="left")  # clear of the legend, which sits on the right
            plot.setObjectName(panel)
            self.graphics.setMinimumHeight(PANEL_HEIGHT * (len(self._plots) + 1))
            plot.setMenuEnabled(False)
            # No grid: pyqtgraph paints grid lines through the axes, the most costly part of a pan.
            # In the title row, right-aligned and in one line: inside the plot a legend covers
            # the start of the curves (left) or a final evaluation's point (right).
            legend = plot.addLegend(colCount=4)
            legend.setParentItem(plot)
            legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-6, 0))
            self._style_legend(legend)
            plot.setLabel("bottom", self.x_label)
            plot.setLogMode(False, self.log_scale.isChecked())
            first = next(iter(self._plots.values()), None)
            if first is not None:
                plot.setXLink(first)
            plot.sigXRangeChanged.connect(lambda *_: self._on_range_changed())
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._cursor_lines.append(line)
            self._plots[panel] = plot
            self._order_panels()
        return plot

    def _order_panels(self) -> None:
        """Panels in a fixed order (Loss first), whichever metric arrived first."""
        layout = self.graphics.ci
        ordered = sorted(self._plots, key=PANEL_ORDER.index)
        for plot in self._plots.values():
            layout.removeItem(plot)
        for row, key in enumerate(ordered):
            layout.addItem(self._plots[key], row=row, col=0)

    def panel_titles(self) -> list[str]:
        """The panels top to bottom, as shown."""
        layout = self.graphics.ci
        found = [
            (row, item)
            for row in range(len(self._plots))
            if (item := layout.getItem(row, 0)) is not None
        ]
        return [item.titleLabel.text for _row, item in sorted(found, key=lambda pair: pair[0])]

    # -- painting --------------------------------------------------------------------------

    def _on_range_changed(self) -> None:
        self.redraw()

    def _repaint_if_dirty(self) -> None:
        if self._dirty:
            self.redraw()

    def visible_range(self) -> tuple[float, float]:
        plot = next(iter(self._plots.values()), None)
        if plot is None or plot.getViewBox().autoRangeEnabled()[0]:
            return -math.inf, math.inf
        low, high = plot.getViewBox().viewRange()[0]
        return low, high

    def redraw(self) -> None:
        """Recut every curve to the visible range; cheap enough to run on every pan."""
        self._dirty = False
        low, high = self.visible_range()
        weight = self.smoothing.value() / 100
        for curve in self._curves.values():
            x, y = decimate(curve.series.x, curve.series.y, low, high)
            raw = curve.items[0]
            # A point per evaluation (often one, at the end: a line of one point is
            # invisible) and for any short series.
            dotted = curve.key[1].startswith("eval") or curve.series.size <= 2
            raw.setSymbol("o" if dotted else None)
            if dotted:
                raw.setSymbolSize(7)
                raw.setSymbolBrush(pg.mkBrush(curve.colour))
                raw.setSymbolPen(pg.mkPen(curve.colour))
            if weight > 0:
                raw.setPen(self._pen(curve, faint=True))
                raw.setData(x, y)
                if len(curve.items) == 1:
                    smoothed = pg.PlotDataItem(pen=pg.mkPen(curve.colour, width=2))
                    smoothed.setClipToView(True)
                    raw.getViewBox().addItem(smoothed)
                    curve.items.append(smoothed)
                curve.items[1].setData(x, smooth(y, weight))
            else:
                raw.setPen(self._pen(curve))
                raw.setData(x, y)
                if len(curve.items) > 1:
                    curve.items[1].getViewBox().removeItem(curve.items[1])
                    del curve.items[1:]
        self.redrawn.emit()

    @staticmethod
    def _pen(curve: Curve, faint: bool = False):
        """Eval curves dashed, so a job's loss and eval loss read apart in one colour."""
        colour = pg.mkColor(curve.colour)
        if faint:
            colour.setAlpha(70)
        pen = pg.mkPen(colour, width=1)  # a 1 px cosmetic pen takes Qt's fast line path
        if curve.key[1].startswith("eval"):
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    def shown_points(self) -> int:
        """Points handed to pyqtgraph now (bounded, whatever the series hold)."""
        counts = (curve.items[0].xData for curve in self._curves.values())
        return sum(0 if data is None else len(data) for data in counts)

    def _apply_log(self, on: bool) -> None:
        for plot in self._plots.values():
            plot.setLogMode(False, on)

    def _on_mouse_moved(self, position) -> None:
        for plot in self._plots.values():
            if plot.sceneBoundingRect().contains(position):
                x = plot.getViewBox().mapSceneToView(position).x()
                break
        else:
            for line in self._cursor_lines:
                line.hide()
            return
        parts = []
        for curve in self._curves.values():
            xs = curve.series.x
            if not len(xs):
                continue
            index = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if index and abs(xs[index - 1] - x) < abs(xs[index] - x):
                index -= 1
            parts.append(f"{curve.label} {curve.series.y[index]:.4g} @ {xs[index]:g}")
        for line in self._cursor_lines:
            line.setPos(x)
            line.show()
        text = "   ".join(parts)
        self.hover.setToolTip(text)
        self.hover.setText(
            self.hover.fontMetrics().elidedText(
                text, Qt.TextElideMode.ElideRight, max(self.hover.width(), 40)
            )
        )

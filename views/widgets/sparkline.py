"""A small live line chart: no axes, coloured against warning and alarm thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

OK, WARN, ALARM = "#2e9d5b", "#e0a100", "#d64545"


def threshold_colour(fraction: float | None, warn: float = 0.8, alarm: float = 0.95) -> str:
    if fraction is None or math.isnan(fraction):
        return OK
    return ALARM if fraction >= alarm else WARN if fraction >= warn else OK


class Sparkline(pg.PlotWidget):
    def __init__(self, maximum: float | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=None)
        self.setFixedHeight(44)
        self.setMinimumWidth(120)
        plot = self.getPlotItem()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(False, False)
        plot.setContentsMargins(0, 0, 0, 0)
        if maximum is not None:
            plot.setYRange(0, maximum, padding=0.02)
        self._curve = plot.plot(
            [], [], pen=pg.mkPen(OK, width=2), fillLevel=0, brush=pg.mkBrush(OK + "33")
        )
        self._curve.setClipToView(True)
        self.setToolTip("")

    def set_maximum(self, maximum: float) -> None:
        self.getPlotItem().setYRange(0, maximum, padding=0.02)

    def set_series(self, values: Sequence[float], colour: str = OK) -> None:
        ys = [0.0 if math.isnan(v) else v for v in values]
        self._curve.setData(list(range(len(ys))), ys)
        self._curve.setPen(pg.mkPen(colour, width=2))
        self._curve.setBrush(pg.mkBrush(colour + "33"))

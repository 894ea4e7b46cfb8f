"""The Metrics tab as a person reads it: the final evaluation visible, Loss on top, the
wheel scrolling the charts, hover read-outs that never widen the window."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from views.jobs.metrics_plot import MetricsPlot


def _plot(qtbot) -> MetricsPlot:
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 400)
    plot.show()
    return plot


def test_a_single_evaluation_is_drawn_as_a_point_and_loss_comes_first(qtbot) -> None:
    plot = _plot(qtbot)
    # A live run's first event: the gradient norm before the loss, then the eval at the end.
    plot.append("run", "grad_norm", [1, 2, 3], [0.5, 0.4, 0.3])
    plot.append("run", "learning_rate", [1, 2, 3], [1e-3, 9e-4, 8e-4])
    plot.append("run", "loss", [1, 2, 3], [1.1, 0.9, 0.7])
    plot.append("run", "eval_accuracy", [3], [0.95])
    plot.append("run", "eval_loss", [3], [0.2])
    plot.redraw()
    assert plot.panel_titles()[:2] == ["Loss", "Evaluation"]
    assert plot.panel_titles()[-1] == "Gradient norm"
    for metric in ("eval_accuracy", "eval_loss"):
        item = plot.curves[("run", metric)].items[0]
        assert item.opts["symbol"] == "o"  # one point, visible
        assert len(item.xData) == 1
    assert plot.curves[("run", "loss")].items[0].opts["symbol"] is None


def test_the_wheel_scrolls_the_charts_and_ctrl_wheel_zooms(qtbot) -> None:
    plot = _plot(qtbot)
    for index, metric in enumerate(("loss", "learning_rate", "grad_norm", "samples_per_second")):
        plot.append("run", metric, range(100), [float(index + i) for i in range(100)])
    plot.redraw()
    qtbot.waitUntil(lambda: plot.scroll.verticalScrollBar().maximum() > 0, timeout=5000)
    viewport = plot.graphics.viewport()
    loss = plot._plots["loss"].getViewBox()
    before = loss.viewRange()[0]

    def wheel(modifiers: Qt.KeyboardModifier) -> None:
        centre = QPointF(viewport.width() / 2, 60)
        event = QWheelEvent(
            centre,
            QPointF(viewport.mapToGlobal(centre.toPoint())),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            modifiers,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, event)

    wheel(Qt.KeyboardModifier.NoModifier)
    assert plot.scroll.verticalScrollBar().value() > 0  # the list of charts moved
    assert loss.viewRange()[0] == before  # no chart zoomed
    plot.scroll.verticalScrollBar().setValue(0)
    wheel(Qt.KeyboardModifier.ControlModifier)
    assert loss.viewRange()[0] != before


def test_hover_values_never_widen_the_window(qtbot) -> None:
    plot = _plot(qtbot)
    for index in range(8):
        plot.append("run", f"metric_with_a_long_name_{index}", [1, 2], [0.123456, 0.654321])
    plot.redraw()
    width = plot.sizeHint().width()
    minimum = plot.minimumSizeHint().width()
    centre = plot._plots["other"].sceneBoundingRect().center()
    plot._on_mouse_moved(centre)
    assert "metric_with_a_long_name_7" in plot.hover.toolTip()
    assert plot.sizeHint().width() == width and plot.minimumSizeHint().width() == minimum

"""A trained model's curves: its job's metrics, as the Jobs pane drew them, without
leaving the Models pane."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.errors import NotFound
from app.jobs.store import MetricSeries
from app.models.registry import ModelRegistry
from app.models.store import ModelRecord
from app.tasks import report_error, run_task
from views.jobs.metrics_plot import MetricsPlot, panel_order


class ModelCurves(QWidget):
    def __init__(self, registry: ModelRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.job_id: str | None = None
        self.plot = MetricsPlot()
        self.note = QLabel()
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

    def show_model(self, model: ModelRecord | None) -> None:
        job_id = model.job_id if model is not None else None
        if job_id == self.job_id and job_id is not None:
            return  # the same job's curves are up already
        self.job_id = job_id
        self.plot.clear()
        if model is None or job_id is None:
            self._say(
                "A base model has no training curves."
                if model is not None and model.kind == "base"
                else "This model was not trained here: there are no curves."
            )
            return
        self._say("Reading the job's curves…")
        store = self.registry.jobs

        def read(_state: object) -> dict[str, MetricSeries]:
            store.get(job_id)  # NotFound once the job was deleted
            return store.metric_overview(job_id)[0]

        run_task(
            read,
            on_done=lambda series: self._show(job_id, series),
            on_error=self._failed,
            context=self,
        )

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)

    def _show(self, job_id: str, series: dict[str, MetricSeries]) -> None:
        if job_id != self.job_id:
            return
        if not series:
            self._say("Its job recorded no metrics.")
            return
        for name in sorted(series, key=panel_order):
            data = series[name]
            self.plot.set_series(job_id, name, data.steps, data.values)
        self.plot.redraw()
        self.stack.setCurrentWidget(self.plot)

    def _failed(self, error: BaseException, text: str) -> None:
        if isinstance(error, NotFound):
            self._say("Its job was deleted: the curves went with it.")
        else:
            report_error(error, text)

"""One job in full: curves, logs, its first batch, checkpoints, and where it came from.

Opening a job loads its stored metrics in a worker (arrays, not rows) and
then follows `JobService.events_arrived` for the live part, so a restart
shows the same curves a running window did.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import NotFound
from app.jobs.results import verdict
from app.jobs.states import ACTIVE, JobStatus
from app.jobs.store import Job, MetricSeries, Transition, metric_key
from app.tasks import LONG, TaskHandle, run_task
from views.crash_dialog import show_user_error
from views.jobs.log_view import LogView
from views.jobs.metrics_plot import MetricsPlot, panel_order
from views.jobs.models import dataset_name, model_name
from views.widgets.open_folder import open_folder
from views.widgets.table_model import Index, RowTableModel

GPU_REFRESH_MS = 5_000
CURRENT = "current"
"""The run key of the single job shown in the detail plot."""


def gpu_curves(
    points: list, gpus: list[int], times: list[float], steps: list[float]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The hardware history of the job's GPUs on the job's step axis (wall-clock times
    mapped through when each step happened); readings outside the run are left out.
    With several GPUs the values are their mean."""
    if not points or not gpus or len(times) < 2:
        return {}
    clock = np.array([p.time for p in points])
    inside = (clock >= times[0]) & (clock <= times[-1])
    if not inside.any():
        return {}
    x = np.interp(clock[inside], times, steps)
    chosen = [p for p, keep in zip(points, inside, strict=True) if keep]

    def mean(field: str, scale: float = 1.0) -> np.ndarray:
        rows = [
            [getattr(p, field)[i] * scale if i < len(getattr(p, field)) else np.nan for i in gpus]
            for p in chosen
        ]
        return np.nanmean(np.array(rows, dtype=float), axis=1)

    with np.errstate(all="ignore"):
        return {
            "gpu_utilization": (x, mean("gpu_utilization")),
            "gpu_memory": (x, mean("gpu_memory_fraction", 100.0)),
            "gpu_temperature": (x, mean("gpu_temperature")),
        }


class SampleModel(RowTableModel[dict[str, Any]]):
    """The decoded first batch: one row per example, one column per field the recipe sent."""

    def set_sample(self, rows: list[dict[str, Any]]) -> None:
        keys: list[str] = []
        for row in rows:
            keys += [key for key in row if key not in keys]
        self.beginResetModel()
        self.HEADERS = tuple(keys)  # type: ignore[misc] - per instance, from the data
        self._rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index)
        if row is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        value = row.get(self.HEADERS[index.column()])
        text = value if isinstance(value, str) else json.dumps(value)
        if role == Qt.ItemDataRole.DisplayRole:
            return text.replace("\n", " ⏎ ")
        return text if len(text) > 60 else None


class HistoryModel(RowTableModel[Transition]):
    HEADERS = ("When", "From", "To", "Why")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row(index)
        if item is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        from datetime import UTC

        moment = item.at if item.at.tzinfo else item.at.replace(tzinfo=UTC)
        return (
            moment.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            str(item.from_status or ""),
            str(item.to_status),
            item.reason,
        )[index.column()]


class JobDetail(QWidget):
    resume_requested = Signal(str, str)
    """Job id and checkpoint folder: "resume from here"."""
    loaded = Signal(str)
    """The job's stored metrics are in the plot (cut to the screen for a long run)."""
    checkpoints_counted = Signal(str, int)
    """A job's complete checkpoints were counted (what it can be resumed from)."""
    detailed = Signal(str)
    """Every stored point of a long run is in the plot too (for zooming in)."""

    def __init__(self, core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._core = core
        self._job: Job | None = None
        self._generation = 0
        self._full_load: TaskHandle | None = None
        """The background load of every point, cancelled when another job is shown."""
        self._arrived_meanwhile: list[tuple[str, list[float], list[float]]] | None = None
        self.checkpoint_counts: dict[str, int] = {}
        self.dataset_names: dict[str, str] = {}
        """Dataset folder → name, from the jobs table, for the title."""
        self.title = QLabel("Choose a job to see its curves, logs and checkpoints.")
        self.title.setObjectName("job-title")
        self.title.setWordWrap(True)
        self.result = QLabel()
        self.result.setObjectName("job-result")
        self.result.setWordWrap(True)
        self.result.hide()
        self.tabs = QTabWidget()
        self.plot = MetricsPlot()
        self.logs = LogView()
        self.tabs.addTab(self.plot, "Metrics")
        self.tabs.addTab(self.logs, "Logs")
        self.tabs.addTab(self._data_tab(), "Data")
        self.tabs.addTab(self._checkpoints_tab(), "Checkpoints")
        self.tabs.addTab(self._overview_tab(), "Overview")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.result)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_tab())
        core.jobs.events_arrived.connect(self._on_events)
        self._gpu_timer = QTimer(self, interval=GPU_REFRESH_MS)
        self._gpu_timer.timeout.connect(self._load_gpu)

    # -- tabs ------------------------------------------------------------------------------

    def _data_tab(self) -> QWidget:
        self.sample = SampleModel(self)
        self.sample_view = QTableView()
        self.sample_view.setObjectName("first-batch")
        self.sample_view.setModel(self.sample)
        self.sample_view.setWordWrap(False)
        self.sample_view.horizontalHeader().setStretchLastSection(True)
        self.sample_view.horizontalHeader().setDefaultSectionSize(260)
        self.sample_caption = QLabel(
            "The first batch exactly as the model sees it, decoded: check the template and "
            "the labels before hours are spent."
        )
        self.sample_caption.setWordWrap(True)
        self.sample_caption.setProperty("role", "muted")
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.sample_caption)
        layout.addWidget(self.sample_view, 1)
        return widget

    def _checkpoints_tab(self) -> QWidget:
        self.checkpoints = QListWidget()
        self.checkpoints.setObjectName("checkpoints")
        self.checkpoints.itemSelectionChanged.connect(self._update_checkpoint_buttons)
        self.resume_here = QPushButton("Resume from here")
        self.resume_here.setToolTip("Queue the job again, continuing from this checkpoint")
        self.resume_here.clicked.connect(self._on_resume_here)
        self.open_checkpoint = QPushButton("Open")
        self.open_checkpoint.clicked.connect(self._on_open_checkpoint)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_checkpoint)
        buttons.addWidget(self.resume_here)
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.checkpoints, 1)
        layout.addLayout(buttons)
        self._update_checkpoint_buttons()
        return widget

    def _overview_tab(self) -> QWidget:
        self.lineage = QFormLayout()
        self.lineage_labels: dict[str, QLabel] = {}
        for key in ("Recipe", "Method", "Dataset", "Model", "Output", "Failure"):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.lineage_labels[key] = label
            self.lineage.addRow(f"{key}:", label)
        self.spec_text = QPlainTextEdit()
        self.spec_text.setObjectName("job-spec")
        self.spec_text.setReadOnly(True)
        self.history = HistoryModel(self)
        history_view = QTableView()
        history_view.setModel(self.history)
        history_view.verticalHeader().hide()
        history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = history_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 6, 0, 0)
        left_layout.addLayout(self.lineage)
        left_layout.addWidget(QLabel("State history"))
        left_layout.addWidget(history_view, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 6, 0, 0)
        right_layout.addWidget(QLabel("Spec"))
        right_layout.addWidget(self.spec_text, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        return splitter

    # -- showing a job ---------------------------------------------------------------------

    @property
    def job(self) -> Job | None:
        return self._job

    def show_job(self, job: Job | None) -> None:
        same = job is not None and self._job is not None and job.id == self._job.id
        self._job = job
        if job is None:
            self._generation += 1
            self.title.setText("Choose a job to see its curves, logs and checkpoints.")
            self.plot.clear()
            self.logs.follow(None, live=False)
            self.sample.set_sample([])
            self.checkpoints.clear()
            self.result.hide()
            return
        total = f" of {job.total_steps:,}" if job.total_steps else ""
        where = escape(job.setup_text()) or f"step {job.last_step:,}{total}"
        self.title.setText(
            f"<b>{escape(job.name)}</b> · {job.status} · {where} · "
            f"{escape(model_name(job.spec))} on "
            f"{escape(dataset_name(job.spec, self.dataset_names))}"
        )
        self._show_result(job)
        live = job.status in ACTIVE
        self.logs.follow(Path(job.run_dir), live=live)
        if not same:
            self._load_metrics(job)
            self._load_sample(job)
            if job.status in (JobStatus.STOPPED, JobStatus.FAILED):
                self._load_checkpoints(job)  # whether "Resume from checkpoint" applies
        if job.assigned_gpus and live:
            self._gpu_timer.start()
        else:
            self._gpu_timer.stop()
        self._refresh_tab()

    def _show_result(self, job: Job) -> None:
        """The final metric against the baseline of the validation split, in red when the
        model did not beat it."""
        result = job.result or {}
        judged = verdict(result.get("final"), result.get("baseline"))
        if judged is None:
            self.result.hide()
            return
        colour = "#e03131" if judged.beaten is False else "#2f9e44" if judged.beaten else ""
        text = f"Result: {escape(judged.text)}"
        self.result.setText(f"<span style='color:{colour}'>{text}</span>" if colour else text)
        self.result.show()

    def _load_metrics(self, job: Job) -> None:
        """An overview SQLite cuts to the screen first, then, for long runs, every point
        (for zooming in) in the background; live points that arrive meanwhile are kept."""
        self._generation += 1
        generation, store = self._generation, self._core.jobs.store
        if self._full_load is not None:
            self._full_load.cancel()  # superseded: stop reading millions of rows for nothing
            self._full_load = None
        self.plot.clear()
        self._arrived_meanwhile: list[tuple[str, list[float], list[float]]] | None = None

        def show(series: dict[str, MetricSeries]) -> None:
            for name in sorted(series, key=panel_order):
                data = series[name]
                self.plot.set_series(CURRENT, name, data.steps, data.values)
            self.plot.redraw()

        def overview(result: tuple[dict[str, MetricSeries], bool]) -> None:
            if generation != self._generation:
                return
            series, cut = result
            show(series)
            self._load_gpu()
            self.loaded.emit(job.id)
            if cut:
                self._arrived_meanwhile = []
                self._full_load = run_task(
                    lambda state: store.metric_arrays(
                        job.id, with_times=False, cancelled=lambda: state.cancelled
                    ),
                    on_done=everything,
                    context=self,
                    kind=LONG,
                )

        def everything(series: dict[str, MetricSeries]) -> None:
            if generation != self._generation:
                return
            meanwhile, self._arrived_meanwhile = self._arrived_meanwhile or [], None
            show(series)
            for name, xs, ys in meanwhile:
                curve = self.plot.curves.get((CURRENT, name))
                last = curve.series.x[-1] if curve is not None and curve.series.size else -1
                kept = [(x, y) for x, y in zip(xs, ys, strict=True) if x > last]
                if kept:
                    self.plot.append(CURRENT, name, [x for x, _ in kept], [y for _, y in kept])
            self.detailed.emit(job.id)

        run_task(lambda _s: store.metric_overview(job.id), on_done=overview, context=self)

    def _load_gpu(self) -> None:
        """The job's GPUs from the hardware history (the last hour, kept in memory)."""
        job = self._job
        if job is None or not job.assigned_gpus:
            return
        gpus = [int(i) for i in job.assigned_gpus.split(",") if i.strip()]
        points = self._core.hardware.history.points()
        store, generation = self._core.jobs.store, self._generation

        def arrived(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
            if generation != self._generation:
                return
            for name, (x, y) in curves.items():
                self.plot.set_series(CURRENT, name, x, y)

        run_task(
            lambda _s: gpu_curves(points, gpus, *store.step_clock(job.id)),
            on_done=arrived,
            context=self,
        )

    def _on_load_error(self, error: BaseException, _text: str) -> None:
        """A job deleted while its tab loaded is simply gone (the table drops its row);
        any other known error is shown."""
        if not isinstance(error, NotFound):
            show_user_error(self, error)

    def _load_sample(self, job: Job) -> None:
        service = self._core.jobs
        generation = self._generation

        def arrived(event: dict[str, Any] | None) -> None:
            if generation == self._generation:
                self.sample.set_sample((event or {}).get("rows") or [])

        run_task(
            lambda _s: service.first_batch(job.id),
            on_done=arrived,
            on_error=self._on_load_error,
            context=self,
        )

    def _refresh_tab(self) -> None:
        job = self._job
        if job is None:
            return
        current = self.tabs.currentIndex()
        if current == 3:
            self._load_checkpoints(job)
        elif current == 4:
            self._load_overview(job)

    def _load_checkpoints(self, job: Job) -> None:
        service = self._core.jobs

        def arrived(folders: list[Path]) -> None:
            if self._job is None or self._job.id != job.id:
                return
            self.checkpoints.clear()
            for folder in reversed(folders):
                item = QListWidgetItem(folder.name.replace("checkpoint-", "Step "))
                item.setData(Qt.ItemDataRole.UserRole, str(folder))
                item.setToolTip(str(folder))
                self.checkpoints.addItem(item)
            if not folders:
                item = QListWidgetItem("No checkpoints yet")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.checkpoints.addItem(item)
            self._update_checkpoint_buttons()

        def counted(folders: list[Path]) -> None:
            self.checkpoint_counts[job.id] = len(folders)
            self.checkpoints_counted.emit(job.id, len(folders))
            arrived(folders)

        run_task(
            lambda _s: service.checkpoints(job.id),
            on_done=counted,
            on_error=self._on_load_error,
            context=self,
        )

    def _load_overview(self, job: Job) -> None:
        store = self._core.jobs.store
        spec = job.spec
        self.lineage_labels["Recipe"].setText(str(spec.get("recipe", "")))
        method = spec.get("method", "full")
        if method == "lora":
            lora = spec.get("lora") or {}
            method += f" (r {lora.get('r', 8)}, alpha {lora.get('alpha', 16)})"
        self.lineage_labels["Method"].setText(method)
        self.lineage_labels["Dataset"].setText(str(spec.get("dataset", {}).get("path", "")))
        self.lineage_labels["Model"].setText(json.dumps(spec.get("model", {})))
        self.lineage_labels["Output"].setText(str(spec.get("output_dir", "")))
        self.lineage_labels["Failure"].setText(
            f"{job.failure_kind}: {job.failure_reason}" if job.failure_kind else "—"
        )
        self.spec_text.setPlainText(json.dumps(spec, indent=2))
        run_task(
            lambda _s: store.history(job.id),
            on_done=lambda rows: self.history.set_rows(rows),
            context=self,
        )

    def _update_checkpoint_buttons(self) -> None:
        item = self.checkpoints.currentItem()
        chosen = item is not None and item.data(Qt.ItemDataRole.UserRole) is not None
        job = self._job
        resumable = job is not None and job.status in (JobStatus.STOPPED, JobStatus.FAILED)
        self.resume_here.setEnabled(chosen and resumable)
        self.open_checkpoint.setEnabled(chosen)

    def _on_resume_here(self) -> None:
        item = self.checkpoints.currentItem()
        if item is not None and self._job is not None:
            self.resume_requested.emit(self._job.id, item.data(Qt.ItemDataRole.UserRole))

    def _on_open_checkpoint(self) -> None:
        item = self.checkpoints.currentItem()
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            open_folder(self, Path(item.data(Qt.ItemDataRole.UserRole)))

    # -- live ------------------------------------------------------------------------------

    def _on_events(self, job_id: str, events: list[dict[str, Any]]) -> None:
        if self._job is None or job_id != self._job.id:
            return
        points: dict[str, tuple[list[float], list[float]]] = {}
        for event in events:
            kind = event.get("event")
            if kind in ("metric", "eval"):
                step = float(event["step"])
                for name, value in (event.get("values") or {}).items():
                    if value is None or isinstance(value, int | float):
                        key = metric_key(kind, name)
                        xs, ys = points.setdefault(key, ([], []))
                        xs.append(step)
                        ys.append(float("nan") if value is None else float(value))
            elif kind == "sample":
                self.sample.set_sample(event.get("rows") or [])
        self.logs.add_events(events)
        for name, (xs, ys) in points.items():
            self.plot.append(CURRENT, name, xs, ys)
            if self._arrived_meanwhile is not None:
                self._arrived_meanwhile.append((name, xs, ys))

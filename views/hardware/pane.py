"""The Hardware pane: GPU cards, the processes on them, the system, and storage."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.hardware.readings import Snapshot
from app.settings import MEMORY_ALERT_PERCENT, TEMPERATURE_ALERT
from app.tasks import LONG, run_task
from views.crash_dialog import show_user_error
from views.hardware.gpu_card import GpuCard, gib
from views.hardware.models import GpuProcessModel, JobRole, PidRole, StorageModel, human_bytes
from views.runtime.box import RuntimeBox
from views.widgets.pane_frame import PaneFrame
from views.widgets.sparkline import Sparkline, threshold_colour

SYSTEM_POINTS = 600  # ten minutes at 1 Hz


class HardwarePane(PaneFrame):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__(
            "Hardware",
            "Live GPUs, CPU, memory and disk, and which job uses which GPU. Sampled once a second.",
            parent,
        )
        self._core = core
        self._monitor = core.hardware
        self._cards: dict[int, GpuCard] = {}

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)

        self.gpu_box = QGroupBox("GPUs")
        self.gpu_layout = QVBoxLayout(self.gpu_box)
        self.no_gpu = QLabel("Waiting for the first reading…")
        self.no_gpu.setObjectName("no-gpu")
        self.no_gpu.setWordWrap(True)
        self.gpu_layout.addWidget(self.no_gpu)
        column.addWidget(self.gpu_box)
        # Where training gets torch: first, since nothing trains without it.
        self.runtime_box = RuntimeBox()
        column.addWidget(self.runtime_box)

        process_box = QGroupBox("Processes on the GPUs")
        self.processes = GpuProcessModel(self)
        self.process_view = QTableView()
        self.process_view.setModel(self.processes)
        self.process_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.process_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.process_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.process_view.verticalHeader().hide()
        self.process_view.setMaximumHeight(140)
        self.stop_button = QPushButton("Stop job…")
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("Stop the selected SparkTrainer job with a checkpoint")
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.process_view.selectionModel().selectionChanged.connect(self._on_process_selected)
        process_layout = QVBoxLayout(process_box)
        process_layout.addWidget(self.process_view)
        process_layout.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignRight)
        column.addWidget(process_box)

        system_box = QGroupBox("System")
        grid = QGridLayout(system_box)
        self.system_values: dict[str, QLabel] = {}
        self.system_sparks: dict[str, Sparkline] = {}
        for position, (key, title) in enumerate(
            (("cpu", "CPU"), ("ram", "Memory"), ("disk", "Data disk"))
        ):
            caption = QLabel(title)
            caption.setProperty("role", "muted")
            value = QLabel("—")
            value.setStyleSheet("font-size: 13pt")
            spark = Sparkline(100)
            grid.addWidget(caption, 0, position)
            grid.addWidget(value, 1, position)
            grid.addWidget(spark, 2, position)
            self.system_values[key], self.system_sparks[key] = value, spark
        self.system_details = QLabel()
        self.system_details.setProperty("role", "muted")
        self.system_details.setWordWrap(True)
        grid.addWidget(self.system_details, 3, 0, 1, 3)
        column.addWidget(system_box)

        storage_box = QGroupBox("Storage")
        self.storage = StorageModel(self)
        storage_view = QTableView()
        storage_view.setModel(self.storage)
        storage_view.verticalHeader().hide()
        header = storage_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        storage_view.setMaximumHeight(190)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_storage)
        self.cleanup_button = QPushButton("Clean up old checkpoints…")
        self.cleanup_button.setToolTip("Delete checkpoints except each job's last and best")
        self.cleanup_button.clicked.connect(self._on_cleanup_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.cleanup_button)
        storage_layout = QVBoxLayout(storage_box)
        storage_layout.addWidget(storage_view)
        storage_layout.addLayout(buttons)
        column.addWidget(storage_box)
        column.addStretch(1)

        self.add_scrolling(content)

        self._monitor.sampled.connect(self._on_sampled)
        self._storage_loaded = False

    # -- live readings ---------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._monitor.start()  # idempotent; the session starts it after the first frame
        if self._monitor.latest is not None:
            self._on_sampled(self._monitor.latest)
        if not self._storage_loaded:
            self.refresh_storage()
        self.runtime_box.refresh()

    def _on_sampled(self, snapshot: Snapshot) -> None:
        self.processes.set_status(snapshot.gpu)
        if not self.isVisible():
            return  # the charts catch up from the history when shown
        self._show_gpus(snapshot)
        self._show_system(snapshot)

    def _show_gpus(self, snapshot: Snapshot) -> None:
        status = snapshot.gpu
        if status.unavailable_reason:
            self.no_gpu.setText(
                f"<b>{escape(status.unavailable_reason)}.</b><br>Training runs on the "
                "CPU until a GPU is available."
            )
        self.no_gpu.setVisible(bool(status.unavailable_reason))
        if status.gpus:
            self.gpu_box.setTitle(
                f"GPUs · driver {status.driver_version or '—'} · CUDA {status.cuda_version or '—'}"
            )
        hot = self._core.settings.get(TEMPERATURE_ALERT)
        for gpu in status.gpus:
            card = self._cards.get(gpu.index)
            if card is None:
                card = self._cards[gpu.index] = GpuCard(gpu.index)
                self.gpu_layout.addWidget(card)
            card.update_reading(gpu, self._monitor.history, hot)

    def _show_system(self, snapshot: Snapshot) -> None:
        system, history = snapshot.system, self._monitor.history
        alarm = self._core.settings.get(MEMORY_ALERT_PERCENT) / 100
        ram = system.memory_used / system.memory_total if system.memory_total else 0.0
        disk = system.disk_used / system.disk_total if system.disk_total else 0.0
        self.system_values["cpu"].setText(
            f"{system.cpu_percent:.0f} % of {len(system.per_core)} cores"
        )
        self.system_values["ram"].setText(f"{gib(system.memory_used)} / {gib(system.memory_total)}")
        self.system_values["disk"].setText(f"{gib(system.disk_used)} / {gib(system.disk_total)}")
        cpu_series = history.series("cpu_percent")[1][-SYSTEM_POINTS:]
        self.system_sparks["cpu"].set_series(
            cpu_series, threshold_colour(system.cpu_percent / 100, warn=0.9, alarm=0.98)
        )
        self.system_sparks["ram"].set_series(
            [v * 100 for v in history.series("memory_fraction")[1][-SYSTEM_POINTS:]],
            threshold_colour(ram, warn=alarm - 0.1, alarm=alarm),
        )
        self.system_sparks["disk"].set_series(
            [v * 100 for v in history.series("disk_fraction")[1][-SYSTEM_POINTS:]],
            threshold_colour(disk, warn=alarm - 0.1, alarm=alarm),
        )
        load = (
            "load " + " ".join(f"{x:.2f}" for x in system.load_average)
            if system.load_average
            else ""
        )
        engines = "; ".join(
            f"job {e.job_id}: CPU {e.cpu_percent:.0f} %, {human_bytes(e.memory_rss)}"
            for e in system.engines
        )
        self.system_details.setText(
            f"{load}   ·   swap {gib(system.swap_used)} / {gib(system.swap_total)}   ·   "
            f"disk read {human_bytes(system.disk_read_rate)}/s, write "
            f"{human_bytes(system.disk_write_rate)}/s   ·   network ↑ "
            f"{human_bytes(system.net_sent_rate)}/s ↓ {human_bytes(system.net_received_rate)}/s"
            + (f"\nEngines: {engines}" if engines else "")
        )

    # -- actions ---------------------------------------------------------------------------

    def _selected_process(self) -> tuple[int | None, str | None]:
        rows = self.process_view.selectionModel().selectedRows()
        if not rows:
            return None, None
        return rows[0].data(PidRole), rows[0].data(JobRole)

    def _on_process_selected(self) -> None:
        _pid, job = self._selected_process()
        self.stop_button.setEnabled(job is not None)

    def _on_stop_clicked(self) -> None:
        pid, job = self._selected_process()
        if pid is None or job is None:
            return
        answer = QMessageBox.question(
            self,
            "Stop job",
            f"Stop job {job} (process {pid})? It saves a checkpoint first and can be resumed.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        from app.errors import UserError
        from app.hardware.engines import stop_engine

        try:
            stop_engine(pid, self._core.paths.runs)
        except UserError as error:
            show_user_error(self, error)

    def refresh_storage(self) -> None:
        from app.hardware.storage import storage_usage

        self._storage_loaded = True
        self.refresh_button.setEnabled(False)
        paths = self._core.paths

        def done(items) -> None:
            self.storage.set_items(items)
            self.refresh_button.setEnabled(True)

        run_task(lambda _s: storage_usage(paths), on_done=done, context=self, kind=LONG)

    def _on_cleanup_clicked(self) -> None:
        from app.hardware.storage import plan_checkpoint_cleanup

        runs = self._core.paths.runs
        self.cleanup_button.setEnabled(False)
        run_task(
            lambda _s: plan_checkpoint_cleanup(runs),
            on_done=self._confirm_cleanup,
            on_error=lambda e, _t: show_user_error(self, e),
            on_finished=lambda: self.cleanup_button.setEnabled(True),
            kind=LONG,
            context=self,
        )

    def _confirm_cleanup(self, plan) -> None:
        from app.hardware.storage import apply_cleanup

        self.cleanup_button.setEnabled(True)
        if not plan.remove:
            QMessageBox.information(
                self, "Nothing to clean up", "Every job keeps only its last and best checkpoints."
            )
            return
        answer = QMessageBox.question(
            self,
            "Clean up old checkpoints",
            f"Delete {len(plan.remove)} checkpoints and free {human_bytes(plan.bytes_freed)}? "
            f"Each job keeps its last and best checkpoint ({len(plan.keep)} kept).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        notifications = self._core.notifications

        def done(freed: int) -> None:
            notifications.notify("Checkpoints cleaned up", f"Freed {human_bytes(freed)}.")
            self.refresh_storage()

        run_task(lambda _s: apply_cleanup(plan), on_done=done, context=self, kind=LONG)

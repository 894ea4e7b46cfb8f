"""The 1 Hz hardware sampler on its own thread, and the inventory read from its samples.

The worker thread owns NVML and psutil; the GUI thread receives `Snapshot`s
through a queued signal, keeps the history, and answers the scheduler's
`GpuInventory` questions from the latest one, so nothing here blocks the GUI.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from app.hardware.history import History
from app.hardware.nvml import NvmlSession
from app.hardware.readings import GpuReading, Snapshot
from app.hardware.system import EngineFinder, SystemSampler
from app.paths import DataPaths

log = logging.getLogger(__name__)

INTERVAL_MS = 1000
STOP_WAIT_MS = 3_000


class _Worker(QObject):
    sampled = Signal(object)

    def __init__(self, data_root: Path, nvml: NvmlSession, interval_ms: int) -> None:
        super().__init__()
        self._data_root, self._nvml, self._interval = data_root, nvml, interval_ms
        self.sample_thread: QThread | None = None

    @Slot()
    def start(self) -> None:
        """Runs on the worker thread: the timer and every reading live there."""
        self._system = SystemSampler(self._data_root)
        self._engines = EngineFinder(DataPaths(self._data_root).runs)
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval)
        self._timer.timeout.connect(self._sample)
        self._timer.start()
        self._sample()

    @Slot()
    def stop(self) -> None:
        """Runs on the worker thread: a timer must die on its own thread; then the thread's
        loop ends, so the GUI only waits (bounded) for a sample already under way."""
        self._timer.stop()
        shiboken6.delete(self._timer)
        self._nvml.close()
        thread = QThread.currentThread()
        if thread is not None:
            thread.quit()

    @Slot()
    def _sample(self) -> None:
        self.sample_thread = QThread.currentThread()
        try:
            engines = self._engines.engines()
            gpu = self._nvml.read(engines.get)
            system = self._system.read(engines)
        except Exception:
            log.exception("Hardware sample failed")
            return
        self.sampled.emit(Snapshot(time.time(), gpu, system))


class HardwareMonitor(QObject):
    """Start it once; listen to `sampled`; ask `inventory` about the GPUs."""

    sampled = Signal(object)
    _start_worker = Signal()
    _stop_worker = Signal()

    def __init__(
        self,
        data_root: Path,
        parent: QObject | None = None,
        *,
        nvml: NvmlSession | None = None,
        interval_ms: int = INTERVAL_MS,
        history_capacity: int = 3600,
    ) -> None:
        super().__init__(parent)
        self.history = History(history_capacity)
        self.latest: Snapshot | None = None
        self.inventory = GpuInventory(lambda: self.latest)
        self._thread = QThread()
        self._thread.setObjectName("hardware-sampler")
        self._worker = _Worker(data_root, nvml or NvmlSession(), interval_ms)
        self._worker.moveToThread(self._thread)
        self._start_worker.connect(self._worker.start)
        # Queued, never blocking: a sample stuck in a driver call must not freeze quitting.
        self._stop_worker.connect(self._worker.stop, Qt.ConnectionType.QueuedConnection)
        self._worker.sampled.connect(self._on_sampled)
        self._running = False

    @property
    def worker_thread(self) -> QThread | None:
        """The thread the last sample was taken on (tests assert it is not the GUI's)."""
        return self._worker.sample_thread

    def start(self) -> None:
        if not self._running:
            self._running = True
            self._thread.start()
            self._start_worker.emit()

    def stop(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Stop sampling; False when the sampler did not end in `timeout_ms` (a reading
        stuck in the driver), which the caller must not wait on for ever."""
        if not self._running:
            return True
        self._running = False
        self._stop_worker.emit()  # the worker quits its own loop after stopping its timer
        if self._thread.wait(timeout_ms):
            return True
        log.warning("The hardware sampler did not stop within %d ms", timeout_ms)
        return False

    @Slot(object)
    def _on_sampled(self, snapshot: Snapshot) -> None:
        self.latest = snapshot
        self.history.append(snapshot)
        self.sampled.emit(snapshot)


class GpuInventory:
    """What the scheduler asks: which GPUs, how much memory is free, which jobs run where."""

    def __init__(self, latest: Callable[[], Snapshot | None]) -> None:
        self._latest = latest

    def gpus(self) -> list[GpuReading]:
        snapshot = self._latest()
        return list(snapshot.gpu.gpus) if snapshot else []

    @property
    def unavailable_reason(self) -> str | None:
        snapshot = self._latest()
        return snapshot.gpu.unavailable_reason if snapshot else None

    def count(self) -> int:
        return len(self.gpus())

    def free_memory(self, index: int) -> int | None:
        gpus = self.gpus()
        return gpus[index].memory_free if 0 <= index < len(gpus) else None

    def jobs_on(self, index: int) -> list[str]:
        gpus = self.gpus()
        if not 0 <= index < len(gpus):
            return []
        return sorted({p.job_id for p in gpus[index].processes if p.job_id})

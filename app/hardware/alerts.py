"""Threshold alerts: a hot GPU, or memory nearly full, told once until it clears."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from app.hardware.readings import Snapshot
from app.notifications import Level, NotificationService
from app.settings import MEMORY_ALERT_PERCENT, TEMPERATURE_ALERT, Settings

# An alert re-arms only when the value falls this far below its threshold,
# so a reading hovering at the line does not notify every second.
HYSTERESIS = 0.05


class ThresholdAlerts(QObject):
    def __init__(
        self, settings: Settings, notifications: NotificationService, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._settings, self._notifications = settings, notifications
        self._active: set[str] = set()

    @Slot(object)
    def check(self, snapshot: Snapshot) -> None:
        hot = self._settings.get(TEMPERATURE_ALERT)
        full = self._settings.get(MEMORY_ALERT_PERCENT) / 100
        for gpu in snapshot.gpu.gpus:
            if gpu.temperature is not None:
                self._judge(
                    f"gpu{gpu.index}-temperature",
                    gpu.temperature / hot,
                    f"GPU {gpu.index} is at {gpu.temperature} °C",
                    f"{gpu.name} passed the {hot} °C alert threshold. Check its cooling; "
                    "it may throttle.",
                )
            if gpu.memory_fraction is not None:
                self._judge(
                    f"gpu{gpu.index}-memory",
                    gpu.memory_fraction / full,
                    f"GPU {gpu.index} memory is {gpu.memory_fraction:.0%} full",
                    "A new job on this GPU may run out of memory.",
                )
        system = snapshot.system
        if system.memory_total:
            fraction = system.memory_used / system.memory_total
            self._judge(
                "ram",
                fraction / full,
                f"System memory is {fraction:.0%} full",
                "Close other programs or lower batch sizes to avoid swapping.",
            )
        if system.disk_total:
            fraction = system.disk_used / system.disk_total
            self._judge(
                "disk",
                fraction / full,
                f"The data disk is {fraction:.0%} full",
                "Free space in the Hardware pane's storage view: old checkpoints can go.",
            )

    def _judge(self, key: str, ratio: float, title: str, message: str) -> None:
        if ratio >= 1.0 and key not in self._active:
            self._active.add(key)
            self._notifications.notify(title, message, Level.WARNING, source=f"hardware:{key}")
        elif ratio < 1.0 - HYSTERESIS:
            self._active.discard(key)

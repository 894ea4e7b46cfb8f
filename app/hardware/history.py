"""An hour of samples in a fixed amount of memory."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from app.hardware.readings import Snapshot

HOUR = 3600


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    time: float
    cpu_percent: float
    memory_fraction: float
    disk_fraction: float
    gpu_utilization: tuple[float, ...]
    gpu_memory_fraction: tuple[float, ...]
    gpu_temperature: tuple[float, ...]
    gpu_power: tuple[float, ...]


def _value(value: float | int | None) -> float:
    return float("nan") if value is None else float(value)


class History:
    """A ring buffer: the oldest sample goes when a new one comes past `capacity`."""

    def __init__(self, capacity: int = HOUR) -> None:
        self._points: deque[HistoryPoint] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        return self._points.maxlen or 0

    def __len__(self) -> int:
        return len(self._points)

    def append(self, snapshot: Snapshot) -> HistoryPoint:
        system, gpus = snapshot.system, snapshot.gpu.gpus
        point = HistoryPoint(
            time=snapshot.time,
            cpu_percent=system.cpu_percent,
            memory_fraction=system.memory_used / system.memory_total
            if system.memory_total
            else 0.0,
            disk_fraction=system.disk_used / system.disk_total if system.disk_total else 0.0,
            gpu_utilization=tuple(_value(g.utilization) for g in gpus),
            gpu_memory_fraction=tuple(_value(g.memory_fraction) for g in gpus),
            gpu_temperature=tuple(_value(g.temperature) for g in gpus),
            gpu_power=tuple(_value(g.power_draw) for g in gpus),
        )
        self._points.append(point)
        return point

    def points(self) -> list[HistoryPoint]:
        return list(self._points)

    def series(self, name: str, gpu: int | None = None) -> tuple[list[float], list[float]]:
        """Times and values of one field, for plotting (a GPU field needs `gpu`)."""
        times, values = [], []
        for point in self._points:
            value = getattr(point, name)
            if gpu is not None:
                value = value[gpu] if gpu < len(value) else float("nan")
            times.append(point.time)
            values.append(value)
        return times, values

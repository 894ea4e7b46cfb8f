"""One GPU: its figures and four sparklines of the last minutes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.hardware.history import History
from app.hardware.readings import GpuReading
from views.widgets.sparkline import Sparkline, threshold_colour

SPARK_POINTS = 300  # five minutes at 1 Hz


def gib(value: int | None) -> str:
    return "—" if value is None else f"{value / 1024**3:.1f} GiB"


def _or_dash(value: object, unit: str = "") -> str:
    return "—" if value is None else f"{value}{unit}"


class GpuCard(QFrame):
    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setObjectName(f"gpu-card-{index}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: 600; font-size: 12pt")
        self.details = QLabel()
        self.details.setProperty("role", "muted")
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        self.sparks: dict[str, Sparkline] = {}
        for column, (key, title, maximum) in enumerate(
            (
                ("utilization", "Utilisation", 100),
                ("memory", "Memory", 100),
                ("temperature", "Temperature", None),
                ("power", "Power", None),
            )
        ):
            caption = QLabel(title)
            caption.setProperty("role", "muted")
            value = QLabel("—")
            value.setStyleSheet("font-size: 13pt")
            spark = Sparkline(maximum)
            grid.addWidget(caption, 0, column)
            grid.addWidget(value, 1, column)
            grid.addWidget(spark, 2, column)
            self.values[key], self.sparks[key] = value, spark
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addLayout(grid)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def update_reading(self, gpu: GpuReading, history: History, hot: int) -> None:
        self.title.setText(f"GPU {gpu.index} · {gpu.name}")
        pcie = (
            f"PCIe {gpu.pcie_generation}×{gpu.pcie_width}"
            if gpu.pcie_generation and gpu.pcie_width
            else "PCIe —"
        )
        mig = "MIG on" if gpu.mig_enabled else "MIG off" if gpu.mig_enabled is False else "MIG —"
        self.details.setText(
            f"{gpu.uuid or ''}   ·   {pcie}   ·   {mig}   ·   SM {_or_dash(gpu.sm_clock, ' MHz')}"
            f"   ·   memory {_or_dash(gpu.memory_clock, ' MHz')}   ·   fan {_or_dash(gpu.fan, '%')}"
        )
        memory = gpu.memory_fraction
        self.values["utilization"].setText(_or_dash(gpu.utilization, " %"))
        self.values["memory"].setText(f"{gib(gpu.memory_used)} / {gib(gpu.memory_total)}")
        self.values["temperature"].setText(_or_dash(gpu.temperature, " °C"))
        power = "—" if gpu.power_draw is None else f"{gpu.power_draw:.0f} W"
        if gpu.power_limit:
            power += f" / {gpu.power_limit:.0f} W"
        self.values["power"].setText(power)

        def recent(name: str) -> list[float]:
            return history.series(name, gpu.index)[1][-SPARK_POINTS:]

        self.sparks["temperature"].set_maximum(max(100, hot + 10))
        if gpu.power_limit:
            self.sparks["power"].set_maximum(gpu.power_limit)
        utilization = recent("gpu_utilization")
        self.sparks["utilization"].set_series(utilization)
        self.sparks["memory"].set_series(
            [v * 100 for v in recent("gpu_memory_fraction")], threshold_colour(memory)
        )
        temperature = recent("gpu_temperature")
        self.sparks["temperature"].set_series(
            temperature,
            threshold_colour(
                None if gpu.temperature is None else gpu.temperature / hot, warn=0.9, alarm=1.0
            ),
        )
        power_fraction = (
            gpu.power_draw / gpu.power_limit
            if gpu.power_draw is not None and gpu.power_limit
            else None
        )
        self.sparks["power"].set_series(recent("gpu_power"), threshold_colour(power_fraction))

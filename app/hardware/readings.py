"""Plain readings, one per sample: what the pane shows and the history keeps."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    used_memory: int | None
    """Bytes; None where the driver does not say (some platforms, MIG)."""
    job_id: str | None = None
    """The SparkTrainer job whose engine this is, if it is one of ours."""


@dataclass(frozen=True)
class GpuReading:
    """One GPU at one moment. A field NVML could not read is None; the rest still count."""

    index: int
    name: str
    uuid: str | None = None
    memory_used: int | None = None
    memory_total: int | None = None
    utilization: int | None = None
    memory_utilization: int | None = None
    temperature: int | None = None
    power_draw: float | None = None
    """Watts."""
    power_limit: float | None = None
    sm_clock: int | None = None
    """MHz."""
    memory_clock: int | None = None
    fan: int | None = None
    """Percent."""
    pcie_generation: int | None = None
    pcie_width: int | None = None
    mig_enabled: bool | None = None
    processes: tuple[GpuProcess, ...] = ()

    @property
    def memory_free(self) -> int | None:
        if self.memory_used is None or self.memory_total is None:
            return None
        return max(0, self.memory_total - self.memory_used)

    @property
    def memory_fraction(self) -> float | None:
        if self.memory_used is None or not self.memory_total:
            return None
        return self.memory_used / self.memory_total


@dataclass(frozen=True)
class GpuStatus:
    """What NVML says overall: the GPUs, or why there are none."""

    gpus: tuple[GpuReading, ...] = ()
    driver_version: str | None = None
    cuda_version: str | None = None
    unavailable_reason: str | None = None
    """Set when NVML cannot be used at all: "No NVIDIA GPU detected: …"."""


@dataclass(frozen=True)
class EngineUsage:
    pid: int
    job_id: str
    cpu_percent: float
    memory_rss: int


@dataclass(frozen=True)
class SystemReading:
    cpu_percent: float
    per_core: tuple[float, ...]
    load_average: tuple[float, float, float] | None
    memory_used: int
    memory_total: int
    swap_used: int
    swap_total: int
    disk_used: int
    disk_total: int
    disk_read_rate: float
    """Bytes per second since the previous sample."""
    disk_write_rate: float
    net_sent_rate: float
    net_received_rate: float
    engines: tuple[EngineUsage, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    time: float
    gpu: GpuStatus
    system: SystemReading
    extra: dict = field(default_factory=dict)

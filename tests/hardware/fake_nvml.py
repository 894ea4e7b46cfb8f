"""The GPU stand-in: a module with pynvml's API that simulates GPUs.

No GPU exists on the machines the tests run on, so this stands in for the
NVIDIA driver. It answers the calls app/hardware/nvml.py makes, with values
a test can change, and can fail one call on one GPU to show that only that
field degrades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

NVML_TEMPERATURE_GPU = 0
NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_NOT_SUPPORTED = 3


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(f"NVML error {value}")
        self.value = value


@dataclass
class FakeGpu:
    name: str
    memory_total: int
    memory_used: int
    utilization: int = 0
    temperature: int = 40
    power_mw: int = 100_000
    limit_mw: int = 300_000
    processes: list[tuple[int, int]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    """Names of calls that fail on this GPU (NOT_SUPPORTED), e.g. {"nvmlDeviceGetFanSpeed"}."""


class FakeNvml:
    """Use an instance as the pynvml module: `NvmlSession(lambda: fake)`."""

    NVMLError = NVMLError

    def __init__(self, gpus: list[FakeGpu], init_error: int | None = None) -> None:
        self.gpus, self.init_error = gpus, init_error
        self.init_calls = 0
        for name, value in globals().items():
            if name.startswith("NVML_"):
                setattr(self, name, value)

    def _gpu(self, handle: int, call: str) -> FakeGpu:
        gpu = self.gpus[handle]
        if call in gpu.failing:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return gpu

    def nvmlInit(self) -> None:
        self.init_calls += 1
        if self.init_error is not None:
            raise NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlSystemGetDriverVersion(self) -> str:
        return "555.42.06"

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return 12050

    def nvmlDeviceGetName(self, h: int) -> str:
        return self._gpu(h, "nvmlDeviceGetName").name

    def nvmlDeviceGetUUID(self, h: int) -> str:
        return f"GPU-fake-{h:04d}"

    def nvmlDeviceGetMemoryInfo(self, h: int) -> Any:
        gpu = self._gpu(h, "nvmlDeviceGetMemoryInfo")
        return SimpleNamespace(
            total=gpu.memory_total, used=gpu.memory_used, free=gpu.memory_total - gpu.memory_used
        )

    def nvmlDeviceGetUtilizationRates(self, h: int) -> Any:
        gpu = self._gpu(h, "nvmlDeviceGetUtilizationRates")
        return SimpleNamespace(gpu=gpu.utilization, memory=gpu.utilization // 2)

    def nvmlDeviceGetTemperature(self, h: int, _sensor: int) -> int:
        return self._gpu(h, "nvmlDeviceGetTemperature").temperature

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        return self._gpu(h, "nvmlDeviceGetPowerUsage").power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        return self._gpu(h, "nvmlDeviceGetEnforcedPowerLimit").limit_mw

    def nvmlDeviceGetClockInfo(self, h: int, kind: int) -> int:
        self._gpu(h, "nvmlDeviceGetClockInfo")
        return 1980 if kind == NVML_CLOCK_SM else 9500

    def nvmlDeviceGetFanSpeed(self, h: int) -> int:
        self._gpu(h, "nvmlDeviceGetFanSpeed")
        return 45

    def nvmlDeviceGetCurrPcieLinkGeneration(self, h: int) -> int:
        self._gpu(h, "nvmlDeviceGetCurrPcieLinkGeneration")
        return 4

    def nvmlDeviceGetCurrPcieLinkWidth(self, h: int) -> int:
        self._gpu(h, "nvmlDeviceGetCurrPcieLinkWidth")
        return 16

    def nvmlDeviceGetMigMode(self, h: int) -> list[int]:
        self._gpu(h, "nvmlDeviceGetMigMode")
        return [0, 0]

    def nvmlDeviceGetComputeRunningProcesses(self, h: int) -> list[Any]:
        gpu = self._gpu(h, "nvmlDeviceGetComputeRunningProcesses")
        return [SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in gpu.processes]


GIB = 1024**3


def two_gpus() -> FakeNvml:
    return FakeNvml(
        [
            FakeGpu(
                "NVIDIA RTX 6000 Ada (stand-in)",
                48 * GIB,
                30 * GIB,
                utilization=97,
                temperature=71,
                power_mw=280_000,
                processes=[(4242, 29 * GIB)],
                failing={"nvmlDeviceGetFanSpeed"},
            ),
            FakeGpu(
                "NVIDIA RTX 4090 (stand-in)",
                24 * GIB,
                1 * GIB,
                utilization=3,
                temperature=38,
                power_mw=25_000,
                limit_mw=450_000,
            ),
        ]
    )

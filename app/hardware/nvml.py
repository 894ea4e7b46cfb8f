"""NVML through pynvml, initialised once per process.

Re-initialising NVML for every sample is what makes naive monitors expensive;
here `NvmlSession.open()` runs once and every later read reuses the handles.
A failure to start gives a reason a person can act on; a failure to read one
field of one GPU leaves that field empty and nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from app.hardware.readings import GpuProcess, GpuReading, GpuStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

_REASONS = {
    "NVML_ERROR_LIBRARY_NOT_FOUND": "the NVIDIA driver library (libnvidia-ml) was not found; "
    "install the NVIDIA driver",
    "NVML_ERROR_DRIVER_NOT_LOADED": "the NVIDIA kernel driver is not loaded; "
    "check `nvidia-smi`, or reboot after a driver install",
    "NVML_ERROR_LIB_RM_VERSION_MISMATCH": "the NVIDIA driver library and kernel module have "
    "different versions (usually after a driver update): reboot",
    "NVML_ERROR_FUNCTION_NOT_FOUND": "the NVIDIA driver is too old for this NVML call; "
    "update the driver",
    "NVML_ERROR_NO_PERMISSION": "no permission to talk to the NVIDIA driver",
}


def _load_pynvml() -> ModuleType:
    import pynvml

    return pynvml


class NvmlSession:
    """Owns the NVML connection of this process. Thread-safe; reads from the sampler thread."""

    def __init__(self, module_loader: Callable[[], ModuleType] = _load_pynvml) -> None:
        self._loader = module_loader
        self._nvml: Any = None
        self._handles: list[Any] = []
        self._static: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.unavailable_reason: str | None = None
        self.driver_version: str | None = None
        self.cuda_version: str | None = None
        self._opened = False

    def open(self) -> bool:
        """Initialise once; False (with `unavailable_reason`) where NVML cannot be used."""
        with self._lock:
            if self._opened:
                return self._nvml is not None
            self._opened = True
            try:
                nvml = self._loader()
            except ImportError:
                self.unavailable_reason = "No NVIDIA GPU detected: the pynvml package is missing"
                return False
            try:
                nvml.nvmlInit()
                count = nvml.nvmlDeviceGetCount()
                self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            except nvml.NVMLError as error:
                self.unavailable_reason = f"No NVIDIA GPU detected: {self._explain(nvml, error)}"
                log.info("%s", self.unavailable_reason)
                return False
            if not self._handles:
                self.unavailable_reason = "No NVIDIA GPU detected: the driver reports no GPUs"
                nvml.nvmlShutdown()
                return False
            self._nvml = nvml
            self.driver_version = _text(self._field(nvml.nvmlSystemGetDriverVersion))
            cuda = self._field(nvml.nvmlSystemGetCudaDriverVersion)
            self.cuda_version = f"{cuda // 1000}.{cuda % 1000 // 10}" if cuda else None
            for index, handle in enumerate(self._handles):
                self._static[index] = {
                    "name": _text(self._field(nvml.nvmlDeviceGetName, handle)) or f"GPU {index}",
                    "uuid": _text(self._field(nvml.nvmlDeviceGetUUID, handle)),
                }
            return True

    def close(self) -> None:
        with self._lock:
            if self._nvml is not None:
                with contextlib.suppress(self._nvml.NVMLError):
                    self._nvml.nvmlShutdown()
            self._nvml, self._handles, self._opened = None, [], False

    @staticmethod
    def _explain(nvml: Any, error: Exception) -> str:
        value = getattr(error, "value", None)
        for constant, reason in _REASONS.items():
            if value is not None and value == getattr(nvml, constant, object()):
                return reason
        return f"NVML failed to start ({error})"

    def _field(self, function: Callable[..., T], *args: Any) -> T | None:
        nvml = self._nvml or self._loader()
        try:
            return function(*args)
        except nvml.NVMLError as error:
            log.debug("NVML %s failed: %s", getattr(function, "__name__", function), error)
            return None

    def read(self, job_for_pid: Callable[[int], str | None] = lambda _pid: None) -> GpuStatus:
        if not self.open():
            return GpuStatus(unavailable_reason=self.unavailable_reason)
        nvml, get = self._nvml, self._field
        gpus = []
        for index, handle in enumerate(self._handles):
            memory = get(nvml.nvmlDeviceGetMemoryInfo, handle)
            rates = get(nvml.nvmlDeviceGetUtilizationRates, handle)
            power = get(nvml.nvmlDeviceGetPowerUsage, handle)
            limit = get(nvml.nvmlDeviceGetEnforcedPowerLimit, handle)
            mig = get(nvml.nvmlDeviceGetMigMode, handle)
            processes = get(nvml.nvmlDeviceGetComputeRunningProcesses, handle) or []
            gpus.append(
                GpuReading(
                    index=index,
                    name=self._static[index]["name"],
                    uuid=self._static[index]["uuid"],
                    memory_used=memory.used if memory else None,
                    memory_total=memory.total if memory else None,
                    utilization=rates.gpu if rates else None,
                    memory_utilization=rates.memory if rates else None,
                    temperature=get(
                        nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU
                    ),
                    power_draw=power / 1000 if power is not None else None,
                    power_limit=limit / 1000 if limit is not None else None,
                    sm_clock=get(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_SM),
                    memory_clock=get(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_MEM),
                    fan=get(nvml.nvmlDeviceGetFanSpeed, handle),
                    pcie_generation=get(nvml.nvmlDeviceGetCurrPcieLinkGeneration, handle),
                    pcie_width=get(nvml.nvmlDeviceGetCurrPcieLinkWidth, handle),
                    mig_enabled=bool(mig[0]) if mig else None,
                    processes=tuple(
                        GpuProcess(p.pid, p.usedGpuMemory, job_for_pid(p.pid)) for p in processes
                    ),
                )
            )
        return GpuStatus(tuple(gpus), self.driver_version, self.cuda_version)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)

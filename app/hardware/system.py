"""CPU, memory, disk and network through psutil, as rates between two samples."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psutil

from app.hardware.readings import EngineUsage, SystemReading

log = logging.getLogger(__name__)


def engine_job_id(cmdline: list[str], runs: Path) -> str | None:
    """The job an engine command line runs (`… engine run RUNS/JOB_ID/spec.json …`), or
    None when the spec is not in this data directory's runs folder (someone else's).

    The job id is the run folder's name: nothing on the command line is opened, so a
    FIFO or /dev/zero named there by another user can neither hang nor exhaust us."""
    for i in range(len(cmdline) - 2):
        if cmdline[i] == "engine" and cmdline[i + 1] == "run":
            spec = Path(cmdline[i + 2])
            try:
                resolved = spec.parent.resolve(strict=False)
                inside = resolved.parent == runs.resolve(strict=False)
            except (OSError, RuntimeError):
                return None
            return resolved.name if inside else None
    return None


class EngineFinder:
    """Our engine processes (pid → job id), rescanned now and then: a full process scan
    costs milliseconds, which at 1 Hz would be most of the sampler's budget.

    Ours: this user's processes running a spec in this data directory's runs folder. The
    launcher that forks an engine has the same command line: only the engine counts."""

    def __init__(self, runs: Path, rescan_seconds: float = 10.0) -> None:
        self._runs = runs
        self._rescan = rescan_seconds
        self._last = float("-inf")
        self._found: dict[int, str] = {}

    def engines(self) -> dict[int, str]:
        now = time.monotonic()
        if now - self._last >= self._rescan:
            self._last = now
            self._found = self.scan()
        return self._found

    def scan(self) -> dict[int, str]:
        user = _current_user()
        found: dict[int, tuple[str, int]] = {}
        for process in psutil.process_iter(["pid", "ppid", "cmdline", "username"]):
            info = process.info
            cmdline = info.get("cmdline") or []
            if "engine" not in cmdline or (user and info.get("username") != user):
                continue
            job_id = engine_job_id(cmdline, self._runs)
            if job_id:
                found[info["pid"]] = (job_id, info.get("ppid") or 0)
        launchers = {parent for job, parent in found.values() if found.get(parent, ("",))[0] == job}
        return {pid: job for pid, (job, _parent) in found.items() if pid not in launchers}


def _current_user() -> str | None:
    try:
        return psutil.Process().username()
    except (psutil.Error, OSError):
        return None


class SystemSampler:
    def __init__(self, data_root: Path) -> None:
        self._data_root = data_root
        self._previous: tuple[float, psutil._common.sdiskio | None, psutil._common.snetio] | None
        self._previous = None
        self._processes: dict[int, psutil.Process] = {}
        psutil.cpu_percent(percpu=True)  # primes the deltas cpu_percent reports from

    def read(self, engines: dict[int, str]) -> SystemReading:
        now = time.monotonic()
        per_core = tuple(psutil.cpu_percent(percpu=True))
        memory, swap = psutil.virtual_memory(), psutil.swap_memory()
        try:
            disk = psutil.disk_usage(str(self._data_root))
            used, total = disk.used, disk.total
        except OSError:
            used = total = 0
        io, net = psutil.disk_io_counters(), psutil.net_io_counters()
        rates = (0.0, 0.0, 0.0, 0.0)
        if self._previous is not None:
            then, old_io, old_net = self._previous
            elapsed = max(now - then, 1e-6)
            rates = (
                (io.read_bytes - old_io.read_bytes) / elapsed if io and old_io else 0.0,
                (io.write_bytes - old_io.write_bytes) / elapsed if io and old_io else 0.0,
                (net.bytes_sent - old_net.bytes_sent) / elapsed,
                (net.bytes_recv - old_net.bytes_recv) / elapsed,
            )
        self._previous = (now, io, net)
        try:
            load = psutil.getloadavg()
        except (AttributeError, OSError):
            load = None
        return SystemReading(
            cpu_percent=sum(per_core) / max(len(per_core), 1),
            per_core=per_core,
            load_average=load,
            memory_used=memory.total - memory.available,
            memory_total=memory.total,
            swap_used=swap.used,
            swap_total=swap.total,
            disk_used=used,
            disk_total=total,
            disk_read_rate=rates[0],
            disk_write_rate=rates[1],
            net_sent_rate=rates[2],
            net_received_rate=rates[3],
            engines=self._engine_usage(engines),
        )

    def _engine_usage(self, engines: dict[int, str]) -> tuple[EngineUsage, ...]:
        for pid in set(self._processes) - set(engines):
            del self._processes[pid]
        usage = []
        for pid, job_id in engines.items():
            try:
                process = self._processes.get(pid)
                if process is None:
                    process = self._processes[pid] = psutil.Process(pid)
                    process.cpu_percent()  # the first call only primes
                usage.append(
                    EngineUsage(pid, job_id, process.cpu_percent(), process.memory_info().rss)
                )
            except psutil.Error:
                self._processes.pop(pid, None)
        return tuple(usage)

"""CPU, memory, disk and network through psutil, as rates between two samples."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import psutil

from app.hardware.readings import EngineUsage, SystemReading
from engine.run_dirs import ENGINE_LOCK

log = logging.getLogger(__name__)

LOCK_FILE_LIMIT = 64


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

    Ours: this user's processes running a spec in this data directory's runs folder whose
    pid is the one that run folder's `.engine.lock` records (the engine writes it when it
    takes the folder). So the launcher that forks an engine, with the same command line,
    is not counted, nor is any process that only names our folder."""

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
        found: dict[int, str] = {}
        for process in psutil.process_iter(["pid", "cmdline", "username"]):
            info = process.info
            cmdline = info.get("cmdline") or []
            if "engine" not in cmdline or (user and info.get("username") != user):
                continue
            job_id = engine_job_id(cmdline, self._runs)
            if job_id and lock_holder(self._runs / job_id) == info["pid"]:
                found[info["pid"]] = job_id
        return found


def lock_holder(run_dir: Path) -> int | None:
    """The pid a run folder's engine lock records. Only a small regular file of ours is
    read (no symlink is followed and a FIFO is never waited on)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(run_dir / ENGINE_LOCK, flags)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > LOCK_FILE_LIMIT:
            return None
        text = os.read(descriptor, LOCK_FILE_LIMIT).decode(errors="replace").strip()
    finally:
        os.close(descriptor)
    return int(text) if text.isdigit() else None


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

"""Telling whether a process we recorded is still the same process (pids are reused)."""

from __future__ import annotations

import psutil


def process_alive(pid: int, start_time: float | None) -> bool:
    """Whether `pid` is still the process that started at `start_time` (not a reused pid)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return start_time is None or abs(process.create_time() - start_time) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def own_identity() -> tuple[int, float]:
    """This process's pid and start time, as `process_alive` checks them."""
    process = psutil.Process()
    return process.pid, process.create_time()

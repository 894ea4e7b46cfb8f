"""Acting on our engine processes found on the machine."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil

from app.errors import UserError
from app.hardware.system import engine_job_id


def stop_engine(pid: int, runs: Path) -> str:
    """Ask one of our engines to stop with a checkpoint (SIGTERM, DESIGN.md §3).

    Refuses any process that is not a SparkTrainer engine; returns its job id.
    """
    try:
        cmdline = psutil.Process(pid).cmdline()
    except psutil.NoSuchProcess as error:
        raise UserError(f"Process {pid} has already ended.") from error
    except psutil.AccessDenied as error:
        raise UserError(f"Not allowed to inspect process {pid}.") from error
    job_id = engine_job_id(cmdline, runs)
    if job_id is None:
        raise UserError(
            f"Process {pid} is not a SparkTrainer engine; it was left alone.",
            "Only training jobs started by SparkTrainer can be stopped here.",
        )
    os.kill(pid, signal.SIGTERM)
    return job_id

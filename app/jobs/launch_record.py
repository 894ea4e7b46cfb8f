"""Finding an engine whose pid never reached the database.

Between the launch and the engine's pid being stored (30–80 ms) the database says
"running" with no pid; a kill of the window or the headless runner there used to
make the next start take the still-starting engine for gone, mark the job failed
and start another engine beside it. The launch is now recorded in two steps: the
launcher's pid and start time go into the run folder (`launch.json`) as soon as it
starts, the engine's into the database when the launcher reports it. A later
start finds the engine by its run folder's lock (the engine holds it for its whole
life and writes its pid there), else as the recorded launcher's child, and waits
`LAUNCH_GRACE_S` for one that is still starting before it calls the job gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import psutil

from app.processes import process_alive
from engine.run_dirs import ENGINE_LOCK, LAUNCH_FILE, run_lock_held

LAUNCH_GRACE_S = 30.0
"""How long after its launch a job with no engine pid may still be starting one."""
_TEST_KILL_ENV = "SPARKTRAINER_TEST_KILL_AFTER_LAUNCH"


def record_launch(run_dir: Path, launcher_pid: int) -> None:
    """Phase one of a launch: the launcher, before the engine's pid is known."""
    with contextlib.suppress(psutil.Error, OSError):
        started = psutil.Process(launcher_pid).create_time()
        record = {"launcher_pid": launcher_pid, "launcher_start_time": started}
        (run_dir / LAUNCH_FILE).write_text(json.dumps(record))
    if os.environ.get(_TEST_KILL_ENV) == "1":  # test hook: die inside the launch window
        os.kill(os.getpid(), 9)


def find_engine(run_dir: Path) -> tuple[int, float] | None:
    """(pid, start time) of the live engine of a run folder, or None."""
    if run_lock_held(run_dir):
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            pid = int((run_dir / ENGINE_LOCK).read_text().strip())
            return pid, psutil.Process(pid).create_time()
    try:
        record = json.loads((run_dir / LAUNCH_FILE).read_text())
        launcher, started = int(record["launcher_pid"]), float(record["launcher_start_time"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not process_alive(launcher, started):
        return None
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(launcher).children():
            if "engine" in child.cmdline():
                return child.pid, child.create_time()
    return None


def may_still_start(run_dir: Path) -> bool:
    """Launched less than LAUNCH_GRACE_S ago: its engine may not hold its lock yet."""
    try:
        launched = (run_dir / LAUNCH_FILE).stat().st_mtime
    except OSError:
        try:
            launched = run_dir.stat().st_mtime
        except OSError:
            return False
    return time.time() - launched < LAUNCH_GRACE_S

"""Temporary folders of the dataset store, each marked with the process that owns it.

Start-up clean-up used to remove every `.tmp-*` folder, so `dataset import big.csv &`
followed by any other `dataset` command killed the first import. Each folder now
holds its owner's pid and start time; only folders whose owner is gone are removed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from app.errors import UserError
from app.processes import own_identity, process_alive

TEMP_PREFIX = ".tmp-"
OWNER_FILE = ".owner.json"
UNCLAIMED_GRACE_S = 60.0
"""A folder with no owner file yet may be one being made this instant: left alone."""


def make_scratch(root: Path, name: str | None = None) -> Path:
    """A new temporary folder of ours under `root`, claimed by this process."""
    folder = root / f"{TEMP_PREFIX}{name or uuid.uuid4().hex[:12]}"
    folder.mkdir()
    claim(folder)
    return folder


def claim(folder: Path) -> None:
    pid, started = own_identity()
    (folder / OWNER_FILE).write_text(json.dumps({"pid": pid, "start_time": started}))


def abandoned(folder: Path) -> bool:
    """True when the process that made `folder` has ended (a crash or kill mid-import)."""
    try:
        owner = json.loads((folder / OWNER_FILE).read_text())
        return not process_alive(int(owner["pid"]), float(owner["start_time"]))
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNCLAIMED_GRACE_S
        except FileNotFoundError:
            return False
    except (OSError, ValueError, KeyError, TypeError):
        return True  # unreadable: no live process of ours wrote it that way


def remove_abandoned(root: Path) -> int:
    leftovers = [p for p in root.glob(f"{TEMP_PREFIX}*") if p.is_dir() and abandoned(p)]
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)
    return len(leftovers)


@contextlib.contextmanager
def disk_space_said(what: str, root: Path) -> Iterator[None]:
    """A full disk while writing `what` becomes one message (the caller removes its
    scratch folder, so nothing is left behind), not a traceback."""
    try:
        yield
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        free = shutil.disk_usage(root).free if root.exists() else 0
        raise UserError(
            f"Not enough disk space for {what}: the disk of {root} is full "
            f"({free / 1024**2:,.0f} MiB free); nothing was kept.",
            "Free some space (Hardware → Storage lists what SparkTrainer keeps), or move the "
            "data directory with SPARKTRAINER_HOME / --data-dir.",
        ) from None

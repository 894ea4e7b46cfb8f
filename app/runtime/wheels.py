"""Unpacking a wheel into a site folder: what pip does for a wheel, minus scripts.

The wheel's purelib and platlib land in the folder; scripts, headers and data are for a
Python environment with a bin/ folder, which the runtime is not. Member names are
checked as any archive's are (no absolute paths, no `..`).
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from app.datasets.archives import safe_name
from app.errors import UserError

CHUNK = 1 << 20
LIBRARY_PARTS = {"purelib", "platlib"}


def member_count(wheel: Path) -> int:
    with zipfile.ZipFile(wheel) as bundle:
        return len(bundle.infolist())


def target_of(wheel: Path, name: str) -> PurePosixPath | None:
    """Where a member goes inside the site folder; None for what a runtime does not use."""
    path = safe_name(wheel, name)
    if path.parts and path.parts[0].endswith(".data"):
        if len(path.parts) < 3 or path.parts[1] not in LIBRARY_PARTS:
            return None
        return PurePosixPath(*path.parts[2:])
    return path


def unpack(wheel: Path, site: Path, on_member: Callable[[], None]) -> None:
    try:
        bundle = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as error:
        raise UserError(f"{wheel.name}: not a readable wheel ({error}).") from None
    with bundle:
        for info in bundle.infolist():
            on_member()
            target = target_of(wheel, info.filename)
            mode = info.external_attr >> 16
            if target is None or stat.S_ISLNK(mode):
                continue
            path = site / target
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(info) as source, path.open("wb") as destination:
                shutil.copyfileobj(source, destination, CHUNK)
            if mode & 0o111:  # torch's helper binaries must stay executable
                os.chmod(path, 0o700)

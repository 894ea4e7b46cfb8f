"""Which folders are ours to write in and to replace: the engine never deletes or
overwrites anything it did not create.

A run directory (the parent of `output_dir`) is ours when it holds our marker file, or
holds nothing but the files a run writes (runs made before the marker existed). An
output folder is ours when it holds its own marker, which is written with the model.
Anything else that is not empty is refused before a single file is written.

Standard library only: the app marks the run directories it creates with `mark_run_dir`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import IO

from engine.protocol import (
    CHECKPOINTS_DIR,
    CONTROL_FILE,
    ENGINE_LOG,
    EVENTS_FILE,
    HEARTBEAT_FILE,
    HEARTBEAT_S,
)

RUN_MARKER = ".sparktrainer-run"
OUTPUT_MARKER = ".sparktrainer-output"
SPEC_FILE = "spec.json"
ENGINE_LOCK = ".engine.lock"
"""Held (an OS file lock) by the one engine running in a run directory; holds its pid."""
LAUNCH_FILE = "launch.json"
"""The app's launcher of the engine, recorded before the engine's pid is known."""
RUN_FILES = {
    RUN_MARKER,
    SPEC_FILE,
    EVENTS_FILE,
    CONTROL_FILE,
    ENGINE_LOG,
    CHECKPOINTS_DIR,
    ENGINE_LOCK,
    LAUNCH_FILE,
    HEARTBEAT_FILE,
}
"""What a run directory holds besides its output folder and `.tmp-` folders."""


class NotOurs(Exception):  # noqa: N818 - reads as what was found
    """A folder the engine may not write into or replace; the message says which and why."""


def _listing(folder: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in folder.iterdir())
    except NotADirectoryError as error:
        raise NotOurs(f"{folder} is a file, not a folder") from error
    except FileNotFoundError:
        return []


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def claim(output: Path, *, overwrite: bool) -> None:
    """Check that a run may write `output` and its parent (the run directory), then mark
    the run directory as ours. Raises NotOurs, having written nothing, otherwise."""
    run_dir = output.parent
    names = _listing(run_dir)
    if RUN_MARKER not in names:
        ours = {*RUN_FILES, output.name}
        foreign = [n for n in names if n not in ours and not n.startswith(".tmp-")]
        if foreign:
            raise NotOurs(
                f"output_dir: {run_dir} already holds files that are not a SparkTrainer run "
                f"({_named(foreign)}); the engine writes its log, events and checkpoints "
                "beside output_dir, so choose a new or empty folder"
            )
    inside = _listing(output)
    if inside:
        if OUTPUT_MARKER not in inside:
            raise NotOurs(
                f"output_dir: {output} already holds files SparkTrainer did not write "
                f"({_named(inside)}); they are never overwritten: choose a new or empty folder"
            )
        if not overwrite:
            raise NotOurs(
                f"output_dir: {output} holds the model of an earlier run; set "
                '"overwrite_output": true to replace it, or choose another folder'
            )
    mark_run_dir(run_dir)


def mark_run_dir(run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_MARKER).touch()


def replaceable(output: Path) -> bool:
    """An output folder the engine may remove to put a new model in its place."""
    return not output.exists() or (output / OUTPUT_MARKER).exists()


class RunFolderBusy(NotOurs):
    """Another live engine holds the run directory."""


_held: list[IO[bytes]] = []
"""The lock files this process holds, open until it exits (the OS releases them then,
a kill -9 included)."""


def hold_run_lock(run_dir: Path) -> None:
    """Take the run directory's exclusive lock for the life of this process, or raise
    RunFolderBusy naming the engine that has it: two engines never share a run folder."""
    handle = (run_dir / ENGINE_LOCK).open("a+b")
    try:
        _lock(handle)
    except OSError:
        handle.seek(0)
        holder = handle.read(32).decode(errors="replace").strip() or "another process"
        handle.close()
        raise RunFolderBusy(
            f"output_dir: another engine (pid {holder}) is running in {run_dir}; two engines "
            "never share a run folder. Stop it first, or wait for it to end"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode())
    handle.flush()
    _held.append(handle)


def start_heartbeat(run_dir: Path) -> None:
    """Touch the run directory's heartbeat file every HEARTBEAT_S from a daemon thread."""
    path = run_dir / HEARTBEAT_FILE

    def beat() -> None:
        while True:
            with contextlib.suppress(OSError):  # a full disk: the app sees the beat stop
                path.touch()
            time.sleep(HEARTBEAT_S)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()


def run_lock_held(run_dir: Path) -> bool:
    """Whether a live engine holds the run directory's lock (its pid is in the file)."""
    path = run_dir / ENGINE_LOCK
    if not path.exists():
        return False
    with path.open("a+b") as handle:
        try:
            _lock(handle)
        except OSError:
            return True
        _unlock(handle)
        return False


def _lock(handle: IO[bytes]) -> None:
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: IO[bytes]) -> None:
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

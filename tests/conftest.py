"""Shared fixtures: an isolated data directory per test, the core, a running GUI session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SPARKTRAINER_HOME: database, settings and logs included."""
    home = tmp_path / "home"
    monkeypatch.setenv("SPARKTRAINER_HOME", str(home))
    return home


@pytest.fixture
def paths(data_home: Path):
    from app.paths import data_paths

    return data_paths()


@pytest.fixture
def core(qapp, paths) -> Iterator:
    from app.core import AppCore
    from app.tasks import wait_for_all

    instance = AppCore(paths)
    instance.open_database()
    yield instance
    wait_for_all()
    instance.shutdown()


@pytest.fixture
def start_session(qapp, qtbot):
    """Starts GuiSessions on the test's data directory and closes them all afterwards."""
    from views.application import GuiSession, ensure_application

    sessions = []

    def start(paths) -> GuiSession:
        session = GuiSession(ensure_application(), paths)
        assert session.start(), "another instance holds the data directory"
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        if session.core is not None:  # not closed by the test itself
            session.close()


@pytest.fixture
def small_filesystem(tmp_path: Path):
    """Mounts a small filesystem (tmpfs of the given size, "4m") for a real full disk.
    Needs the right to mount, which CI's machine (root) has; elsewhere the test is
    skipped, saying so. Unmounted at the end."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"small-{len(mounted)}"
        folder.mkdir()
        made = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            pytest.skip(f"cannot mount a small filesystem here: {made.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill_disk(folder: Path) -> Path:
    """Write a file in `folder` until its filesystem has no byte left; delete it to free."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1 << 20, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError:
                continue
    return filler


def hold_queue(service):
    """Keep a job service's queue as it is put: no scheduling tick, no engine starts
    (for tests of the queue's order, the table and hand-overs, not of training)."""
    service._timer.stop()
    service.schedule = lambda: None
    return service


def run_main(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` in a subprocess with the test's environment."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=False,
    )

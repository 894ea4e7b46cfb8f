"""One instance per data directory; later launches hand over to it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


def test_second_launch_brings_the_first_to_front_and_exits(start_session, paths, qtbot) -> None:
    session = start_session(paths)
    received: list[dict] = []
    session.instance.message_received.connect(received.append)
    session.window.showMinimized()

    second = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        cwd=ROOT,
    )
    try:
        # The first instance's event loop must run to answer, so wait here with qtbot.
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
    finally:
        if second.poll() is None:
            second.kill()
    out, err = second.communicate()
    assert second.returncode == 0, err
    assert "already running" in out
    # The launcher may exit before this event loop has read what it sent.
    qtbot.waitUntil(lambda: received == [{"command": "activate"}], timeout=10_000)
    qtbot.waitUntil(lambda: not session.window.isMinimized(), timeout=10_000)


def test_lock_of_a_dead_instance_does_not_block(paths, qapp) -> None:
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from pathlib import Path; from PySide6.QtCore import QCoreApplication;"
            "from app.single_instance import SingleInstance;"
            "app = QCoreApplication([]); s = SingleInstance(Path(sys.argv[1]));"
            "assert s.acquire(); os._exit(0)",  # dies holding the lock and the socket
            str(paths.root),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == 0, crashed.stderr
    assert paths.lock_file.exists()

    from app.single_instance import SingleInstance

    instance = SingleInstance(paths.root)
    try:
        assert instance.acquire()
    finally:
        instance.release()


def test_two_data_directories_run_side_by_side(tmp_path, qapp) -> None:
    from app.single_instance import SingleInstance

    a, b = SingleInstance(tmp_path), SingleInstance(tmp_path / "other")
    (tmp_path / "other").mkdir()
    try:
        assert a.acquire()
        assert b.acquire()
        assert a.name != b.name
        assert not SingleInstance(tmp_path).acquire()
    finally:
        a.release()
        b.release()


def test_the_socket_file_goes_with_the_process_however_it_ends(tmp_path, data_home) -> None:
    """A process that became the instance and then failed leaves no socket behind."""
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    script = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from app.paths import data_paths\n"
        "from app.single_instance import SingleInstance\n"
        "app = QCoreApplication([])\n"
        "paths = data_paths(); paths.ensure()\n"
        "instance = SingleInstance(paths.root)\n"
        "assert instance.acquire()\n"
        "import os; print(sorted(os.listdir(sys.argv[1])), flush=True)\n"
        "raise SystemExit('failed after taking the instance')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(sockets)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(sockets)},
        cwd=ROOT,
        check=False,
    )
    assert "failed after taking the instance" in result.stderr
    assert "sparktrainer-" in result.stdout  # it was there while the process ran
    assert [p.name for p in sockets.iterdir() if p.name.startswith("sparktrainer-")] == []


def test_sockets_left_by_killed_instances_are_swept_and_live_ones_kept(tmp_path) -> None:
    import socket

    from app.single_instance import sweep_stale_sockets

    stale = tmp_path / "sparktrainer-0123456789abcdef"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))  # bound and closed without unlinking: what a kill -9 leaves
    dead.close()
    live_path = tmp_path / "sparktrainer-fedcba9876543210"
    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(str(live_path))
    live.listen(1)
    other = tmp_path / "sparktrainer-notes.txt"
    other.write_text("not a socket")
    try:
        assert sweep_stale_sockets(tmp_path) == [stale]
        assert not stale.exists() and live_path.exists() and other.exists()
    finally:
        live.close()

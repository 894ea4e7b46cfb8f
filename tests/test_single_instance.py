"""One instance per data directory; later launches hand over to it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


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

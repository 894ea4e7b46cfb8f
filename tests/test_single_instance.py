"""One instance per data directory; later launches hand over to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


@pytest.fixture
def short_tmp():
    """A temp folder with a short path: a socket's whole path must fit in ~100 bytes."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="st-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_socket_file_goes_with_the_process_however_it_ends(short_tmp, data_home) -> None:
    """A process that became the instance and then failed leaves no socket behind."""
    sockets = short_tmp
    script = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from app.paths import data_paths\n"
        "from app.single_instance import SingleInstance\n"
        "app = QCoreApplication([])\n"
        "paths = data_paths(); paths.ensure()\n"
        "instance = SingleInstance(paths.root)\n"
        "assert instance.acquire()\n"
        "import os; print(sorted(os.listdir(sys.argv[1] + f'/sparktrainer-{os.getuid()}')), "
        "flush=True)\n"
        "raise SystemExit('failed after taking the instance')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(sockets)],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **{k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"},
            "TMPDIR": str(sockets),
        },
        cwd=ROOT,
        check=False,
    )
    assert "failed after taking the instance" in result.stderr
    assert "sparktrainer-" in result.stdout  # it was there while the process ran
    private = sockets / f"sparktrainer-{os.getuid()}"  # the socket's 0700 folder
    assert [p.name for p in private.iterdir() if p.name.startswith("sparktrainer-")] == []


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


def test_the_socket_lives_in_a_folder_only_this_user_can_enter(
    short_tmp, monkeypatch, qapp
) -> None:
    tmp_path = short_tmp
    """Another local user cannot take the name first or connect (issue #15, item 3)."""
    import stat

    from app.single_instance import SingleInstance, peer_is_us, runtime_dir, socket_name

    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    name = Path(socket_name(tmp_path / "home"))
    assert name.parent == runtime_dir() == tmp_path / f"sparktrainer-{os.getuid()}"
    info = name.parent.stat()
    assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700
    name.parent.chmod(0o777)  # opened up since: made private again
    runtime_dir()
    assert stat.S_IMODE(name.parent.stat().st_mode) == 0o700

    (tmp_path / "home").mkdir()
    instance = SingleInstance(tmp_path / "home")
    assert instance.acquire()
    try:
        from PySide6.QtNetwork import QLocalSocket

        client = QLocalSocket()
        client.connectToServer(instance.name)
        assert client.waitForConnected(2000)
        assert peer_is_us(client)  # SO_PEERCRED: the server runs as this user
        client.abort()
    finally:
        instance.release()


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs chown")
def test_a_folder_another_user_made_first_is_never_used(tmp_path, monkeypatch) -> None:
    from app.errors import UserError
    from app.single_instance import runtime_dir

    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    squatted = tmp_path / f"sparktrainer-{os.getuid()}"
    squatted.mkdir(mode=0o777)
    os.chown(squatted, 65534, 65534)  # nobody's, as a squatter would leave it
    with pytest.raises(UserError, match="belongs to another user"):
        runtime_dir()

"""Issue #15: another local user, simulated with `setpriv` as uid 65534 (nobody) where the
machine allows it (root and setpriv; CI's machine has both), against a real data
directory, a real single-instance socket and the real engine finder. Elsewhere the test
is skipped, saying why; the modes and the socket's folder are also checked directly in
tests/test_private_data.py and tests/test_single_instance.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"


def _as_nobody(code: str, *args: str, wait: bool = True, **popen):
    command = [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        SYSTEM_PYTHON,
        "-c",
        code,
        *args,
    ]
    if not wait:
        return subprocess.Popen(command, **popen)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def open_folder(monkeypatch):
    """A data directory inside a folder every user may enter (pytest's own is private,
    which would hide what our modes do)."""
    if os.getuid() != 0 or shutil.which("setpriv") is None or not Path(SYSTEM_PYTHON).exists():
        pytest.skip("needs root, setpriv and /usr/bin/python3 to act as a second user")
    if _as_nobody("print(1)").returncode != 0:
        pytest.skip("setpriv cannot switch to uid 65534 here")
    folder = Path(tempfile.mkdtemp(prefix="st-second-user-"))
    folder.chmod(0o755)
    monkeypatch.setenv("SPARKTRAINER_HOME", str(folder / "home"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_another_user_cannot_read_the_data_or_reach_the_socket(open_folder, qapp) -> None:
    from app.core import AppCore
    from app.paths import data_paths
    from app.single_instance import SingleInstance

    paths = data_paths().ensure()
    core = AppCore(paths)
    core.open_database()
    instance = SingleInstance(paths.root)
    assert instance.acquire()
    try:
        probe = """
import json, os, socket, sys
home, database, name = sys.argv[1:4]
seen = {}
for what, act in (
    ("list home", lambda: os.listdir(home)),
    ("read database", lambda: open(database, "rb").read(16)),
    ("connect socket", lambda: socket.socket(socket.AF_UNIX).connect(name)),
):
    try:
        act()
        seen[what] = "allowed"
    except PermissionError:
        seen[what] = "denied"
    except OSError as error:
        seen[what] = type(error).__name__
print(json.dumps(seen))
"""
        result = _as_nobody(probe, str(paths.root), str(paths.database), instance.name)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "list home": "denied",
            "read database": "denied",
            "connect socket": "denied",
        }
    finally:
        instance.release()
        core.shutdown()


def test_another_users_process_naming_our_run_folder_is_not_taken_for_our_engine(
    open_folder,
) -> None:
    """Even with a command line naming our runs folder and a lock file naming its pid,
    a process of another user is never listed (nor stopped) as one of our engines."""
    from app.hardware.system import EngineFinder

    runs = open_folder / "runs"
    run = runs / "job-5"
    run.mkdir(parents=True)
    for folder in (runs, run):
        folder.chmod(0o755)
    spec = run / "spec.json"
    spec.write_text(json.dumps({"job_id": "job-5"}))
    stranger = _as_nobody(
        "import time; print('ready', flush=True); time.sleep(60)",
        "engine",
        "run",
        str(spec),
        wait=False,
        stdout=subprocess.PIPE,
    )
    try:
        # Until setpriv has switched to nobody and run Python, the process is root's
        # setpriv with the same command line, which is rightly counted as ours.
        assert stranger.stdout is not None and stranger.stdout.readline() == b"ready\n"
        (run / ".engine.lock").write_text(str(stranger.pid))
        assert EngineFinder(runs).scan() == {}
    finally:
        stranger.kill()
        stranger.communicate()

"""A real Secret Service for the keyring tests: gnome-keyring-daemon on a private D-Bus
session bus (both installed by .ci/run), torn down after each test."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

NO_BUS = "unix:path=/nonexistent/sparktrainer-test-bus"


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        assert shutil.which(tool), f"{tool} is missing: .ci/run installs dbus and gnome-keyring"
    home = tmp_path / "keyring-home"
    runtime = tmp_path / "runtime"
    for folder in (home, runtime):
        folder.mkdir()
    runtime.chmod(0o700)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    started = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input="keyring-test-password",
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    for key in (
        "DBUS_SESSION_BUS_ADDRESS",
        "HOME",
        "XDG_DATA_HOME",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
    ):
        monkeypatch.setenv(key, env[key])
    try:
        yield address
    finally:
        # The daemon this test started (it forks away from us): found by the private
        # runtime folder in its environment, ended by pid. Never by name pattern.
        for process in _started_with(runtime):
            with contextlib.suppress(psutil.Error):
                process.kill()
                process.wait(10)
        bus.send_signal(signal.SIGTERM)
        bus.wait(timeout=10)


def _started_with(runtime: Path) -> list[psutil.Process]:
    """Our user's processes whose XDG_RUNTIME_DIR is this test's private folder."""
    found = []
    for process in psutil.process_iter(["pid", "name"]):
        with contextlib.suppress(psutil.Error):
            if process.info["name"] != "gnome-keyring-daemon":
                continue
            if process.environ().get("XDG_RUNTIME_DIR") == str(runtime):
                found.append(process)
    return found


@pytest.fixture
def no_secret_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session with no reachable Secret Service: the encrypted file must take over."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
    monkeypatch.delenv("SPARKTRAINER_SECRETS_PASSPHRASE", raising=False)

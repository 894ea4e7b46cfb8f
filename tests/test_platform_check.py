"""`python main.py` on a Linux desktop without Qt's X11 libraries says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from views.platform_check import DEBIAN_PACKAGES, missing_library


def test_the_check_is_quiet_where_qt_can_load(monkeypatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert missing_library() is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":99")
    assert missing_library() is None  # this machine has the libraries (.ci/run installs them)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 libraries: Linux")
def test_a_missing_library_is_named_with_the_install_line(tmp_path) -> None:
    """A library path without libxcb-icccm stands in for a machine that lacks it: the
    loader refuses the plugin's library the same way."""
    import PySide6

    qt_lib = f"{PySide6.__file__.rsplit('/', 1)[0]}/Qt/lib"
    code = (
        "import ctypes, ctypes.util, sys; sys.path.insert(0, sys.argv[1]); "
        "from views.platform_check import report_missing_libraries; "
        "sys.exit(3 if report_missing_libraries() else 0)"
    )
    hidden = tmp_path / "libxcb-icccm.so.4"
    hidden.write_bytes(b"not a library")  # found first on the path, and unloadable
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DISPLAY": ":99",
            "QT_QPA_PLATFORM": "xcb",
            "LD_LIBRARY_PATH": f"{tmp_path}:{qt_lib}",
        },
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert "libxcb-icccm.so.4" in done.stderr
    assert f"sudo apt-get install -y {DEBIAN_PACKAGES}" in done.stderr
    assert "sudo dnf install -y" in done.stderr

"""Set up PyTorch in the window: the real `runtime install --json` process behind it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.runtime.wheels import make_wheel, make_wheelhouse

pytestmark = pytest.mark.slow


def test_the_offline_bundle_installs_with_progress_and_says_so(
    qtbot, data_home: Path, tmp_path: Path
) -> None:
    from views.runtime.dialog import RuntimeDialog

    folder = tmp_path / "wheelhouse"
    make_wheelhouse(folder, [make_wheel(folder, "sparkfake", files={"sparkfake/a.py": "x" * 9})])
    dialog = RuntimeDialog(wheelhouse=folder)
    qtbot.addWidget(dialog)
    assert "nothing is downloaded" in dialog.intro.text()
    with qtbot.waitSignal(dialog.installed, timeout=240_000) as installed:
        dialog.install_button.click()
    torch, variant = installed.args
    assert variant == "cpu" and torch.startswith("2.13.0")
    assert "is installed" in dialog.phase.text() and dialog.close_button.text() == "Close"
    assert (data_home / "runtime").is_dir()
    assert next((data_home / "runtime").glob("*/runtime.json"))


def test_offline_without_the_bundle_says_what_to_do(
    qtbot, monkeypatch: pytest.MonkeyPatch, data_home: Path
) -> None:
    from views.runtime.dialog import RuntimeDialog

    with socket.socket() as probe:  # a port nobody listens on: no index reachable
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # not this machine's local wheels
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    dialog = RuntimeDialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.build.isEnabled(), timeout=30_000)  # the driver was read
    assert dialog.build.currentData() == "cpu" and "No NVIDIA driver" in dialog.reason.text()
    dialog.build.setCurrentIndex(dialog.build.findData("cu128"))
    dialog.install_button.click()
    assert dialog.close_button.text() == "Cancel" and not dialog.build.isEnabled()
    qtbot.waitUntil(lambda: dialog.install_button.isEnabled(), timeout=240_000)
    assert "No network connection" in dialog.message.text()
    assert "offline bundle" in dialog.message.text()
    assert dialog.install_button.text() == "Retry" and dialog.close_button.text() == "Later"
    assert not any((data_home / "runtime").glob("*/runtime.json"))


def test_cancel_stops_the_installer_cleanly(
    qtbot, monkeypatch: pytest.MonkeyPatch, data_home: Path
) -> None:
    """An index that accepts the connection and never answers: pip waits; Cancel ends it."""
    from views.runtime.dialog import RuntimeDialog

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/simple")
        monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
        dialog = RuntimeDialog()
        qtbot.addWidget(dialog)
        phases: list[str] = []
        dialog.install_button.click()
        assert dialog._install is not None
        dialog._install.progress.connect(lambda phase, *_: phases.append(phase))
        qtbot.waitUntil(lambda: bool(phases), timeout=60_000)  # pip is resolving
        assert phases[0].startswith("Finding the PyTorch")
        dialog.close_button.click()
        qtbot.waitUntil(lambda: dialog.install_button.isEnabled(), timeout=60_000)
        assert dialog.message.text().startswith("Cancelled")
        assert dialog._install.process.exitCode() == 3
        assert not any((data_home / "runtime").glob("*/runtime.json"))
    finally:
        silent.close()


def test_the_first_start_of_a_build_without_torch_offers_to_install_it(
    qtbot, monkeypatch: pytest.MonkeyPatch, start_session, paths
) -> None:
    from PySide6.QtWidgets import QApplication

    from app.runtime import location
    from views.runtime.dialog import RuntimeDialog

    monkeypatch.setattr(location, "environment_torch", lambda: None)  # as a frozen build

    def offered() -> list[RuntimeDialog]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, RuntimeDialog) and w.isVisible()
        ]

    session = start_session(paths)
    qtbot.waitUntil(lambda: bool(offered()), timeout=30_000)
    (dialog,) = offered()
    assert dialog.parent() is session.window and not dialog.offline_bundle
    assert dialog.install_button.isEnabled()  # asked, not started: a download is the person's call
    dialog.reject()

"""How a frozen build starts itself: checked here with `sys.frozen` set as PyInstaller's
bootloader sets it (packaging/build.py runs the real frozen app end to end)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from app import launch
from app.jobs.launcher import LAUNCHER
from app.runtime.location import WHEELHOUSE_MANIFEST, bundled_wheelhouse, environment_torch


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    executable = tmp_path / "opt" / "sparktrainer" / "sparktrainer"
    executable.parent.mkdir(parents=True)
    executable.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    return executable


def test_from_source_the_app_runs_main_py() -> None:
    assert launch.self_command("engine", "probe") == [
        sys.executable, str(launch.ROOT / "main.py"), "engine", "probe",
    ]  # fmt: skip
    command = launch.launcher_command(LAUNCHER, "engine", "run", "spec.json")
    assert command[:4] == [sys.executable, "-I", "-S", "-c"] and command[-3:] == [
        "engine", "run", "spec.json",
    ]  # fmt: skip
    assert launch.child_environment() == {}


def test_frozen_the_executable_is_the_engine_and_the_launcher(frozen: Path) -> None:
    assert launch.self_command("engine", "serve") == [str(frozen), "engine", "serve"]
    assert launch.launcher_command(LAUNCHER, "engine", "run", "s.json") == [
        str(frozen), launch.LAUNCH_ARGUMENT, "engine", "run", "s.json",
    ]  # fmt: skip
    assert launch.shown_command("job", "list") == ["sparktrainer", "job", "list"]
    assert environment_torch() is None  # whatever the build machine had


def test_frozen_children_start_as_new_instances(frozen: Path) -> None:
    from app.jobs.engine_env import engine_environment

    assert engine_environment(os.environ)["PYINSTALLER_RESET_ENVIRONMENT"] == "1"


def test_the_offline_bundle_s_wheelhouse_is_found_beside_the_executable(frozen: Path) -> None:
    assert bundled_wheelhouse() is None
    wheelhouse = frozen.parent / "wheelhouse"
    wheelhouse.mkdir()
    (wheelhouse / WHEELHOUSE_MANIFEST).write_text(json.dumps({"wheels": []}))
    assert bundled_wheelhouse() == wheelhouse.resolve()

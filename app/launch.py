"""How this program starts another copy of itself: an engine, a worker, a CLI command.

From a source tree or a pip install that is this Python running main.py; in a frozen
build (PyInstaller) there is no Python to run, and the application's own executable
takes the same arguments (main.py dispatches `engine …` before anything else).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The folder that holds main.py and the packages (the bundle's `_internal` when frozen)."""

LAUNCH_ARGUMENT = "--engine-launcher"
"""main.py's hidden first argument in a frozen build: run app.jobs.launcher's script."""

RESET_ENVIRONMENT = {"PYINSTALLER_RESET_ENVIRONMENT": "1"}
"""A frozen child is a new instance of the app, not a helper of its parent's bootloader."""


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def self_command(*arguments: str) -> list[str]:
    """The command line that runs `sparktrainer ARGUMENTS…` as this install does."""
    if frozen():
        return [sys.executable, *arguments]
    return [sys.executable, str(ROOT / "main.py"), *arguments]


def launcher_command(launcher_script: str, *arguments: str) -> list[str]:
    """`arguments` run under the launcher (own session, pid reported on stderr)."""
    if frozen():
        return [sys.executable, LAUNCH_ARGUMENT, *arguments]
    return [sys.executable, "-I", "-S", "-c", launcher_script, str(ROOT / "main.py"), *arguments]


def child_environment() -> dict[str, str]:
    """What a child of this process needs in its environment to start as itself."""
    return dict(RESET_ENVIRONMENT) if frozen() else {}


def shown_command(*arguments: str) -> list[str]:
    """How a person types the command in a terminal, for hints and copied commands."""
    if frozen() or Path(sys.argv[0]).name == "sparktrainer":
        return ["sparktrainer", *arguments]
    return ["python", "main.py", *arguments]

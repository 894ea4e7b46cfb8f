"""What the frozen build carries, in one place for the PyInstaller recipe and the tests."""

from __future__ import annotations

import fnmatch
from pathlib import Path

ENGINE_ONLY = (
    "torch", "torchvision", "torchaudio", "triton", "transformers", "peft", "safetensors",
    "accelerate", "tensorboard", "sklearn", "scipy", "pytest", "hypothesis", "mypy",
    "IPython", "matplotlib", "tkinter",
)  # fmt: skip
"""Left out: the engine's libraries arrive with the runtime (app/runtime), and the
development tools are never needed."""

STDLIB_SKIPPED = {
    "tkinter", "turtle", "turtledemo", "idlelib", "test", "lib2to3", "ensurepip", "venv",
    "pydoc_data", "msilib", "winreg", "winsound", "nt", "msvcrt", "antigravity", "this",
    "curses", "readline", "dbm", "nis", "spwd", "ossaudiodev", "crypt",
}  # fmt: skip
"""Standard modules no engine needs, or that exist only on another platform."""

PACKAGES = ("app", "views", "engine", "resources")
PATTERNS = ("*.svg", "*.png", "*.ini", "*.mako", "*.qss", "*.desktop")
"""pyproject.toml's package-data, as the wheel carries it."""
MIGRATIONS = Path("app") / "db" / "migrations"
"""Alembic reads its revisions as files, so they travel as data (with their .py)."""


def data_files(root: Path) -> list[tuple[str, str]]:
    """(source file, folder in the bundle) for PyInstaller's `datas`."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            if "__pycache__" in relative.parts or not path.is_file():
                continue
            in_migrations = relative.is_relative_to(MIGRATIONS) and path.suffix == ".py"
            if in_migrations or any(fnmatch.fnmatch(path.name, p) for p in PATTERNS):
                found.append((str(path), str(relative.parent)))
    return found

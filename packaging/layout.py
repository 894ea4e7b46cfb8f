"""Where each build puts what: one place for build.py, the installer recipes and the tests
(packaging/windows/sparktrainer.iss names the same folders)."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
DIST = ROOT / "dist"
ICONS = BUILD / "icons"
APP_FOLDER = "sparktrainer"
"""PyInstaller's output folder (COLLECT name in sparktrainer.spec)."""
WHEELHOUSE = "wheelhouse"
"""The offline bundle's wheels, beside the executable (app/runtime/location.py)."""


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from app import __version__

    return __version__


def frozen_folder(target: str) -> Path:
    """PyInstaller's onedir output for a target."""
    return BUILD / target / "dist" / APP_FOLDER


def wheelhouse_folder(target: str) -> Path:
    return BUILD / target / WHEELHOUSE


def machine() -> str:
    return platform.machine().lower().replace("amd64", "x86_64")


def deb_architecture() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine(), machine())

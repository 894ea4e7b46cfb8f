"""Icons, themes and the desktop file, located next to this module in every install."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def icon_path(name: str) -> Path:
    return ROOT / "icons" / f"{name}.svg"

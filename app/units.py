"""Quantities as a person reads them, the same in the window and the terminal."""

from __future__ import annotations


def human_bytes(value: float | None) -> str:
    """512 B, 3.4 MiB; an em dash for unknown."""
    if value is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"

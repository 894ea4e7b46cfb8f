"""Versions of the parts SparkTrainer runs on, read without importing them.

Importing torch costs seconds and memory the GUI process must not spend, so
the versions come from the installed distributions' metadata.
"""

from __future__ import annotations

import platform
from importlib import metadata

from app import __version__

_DISTRIBUTIONS = {
    "PySide6": ("PySide6-Essentials", "PySide6"),
    "PyTorch": ("torch",),
    "Transformers": ("transformers",),
    "PEFT": ("peft",),
    "pyqtgraph": ("pyqtgraph",),
    "SQLAlchemy": ("SQLAlchemy", "sqlalchemy"),
    "pyarrow": ("pyarrow",),
}


ENGINE_LIBRARIES = {"PyTorch", "Transformers", "PEFT"}
"""In an installed app these live in the private runtime (app/runtime), not beside us."""


def distribution_version(*names: str, path: list[str] | None = None) -> str | None:
    for name in names:
        if path is not None:
            found = next(iter(metadata.distributions(name=name, path=path)), None)
            if found is not None:
                return found.version
            continue
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def component_versions(qt_version: str | None = None) -> dict[str, str]:
    """Name → version for the About dialog and bug reports; missing parts say so."""
    versions = {
        "SparkTrainer": __version__,
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
    }
    if qt_version:
        versions["Qt"] = qt_version
    from app.runtime.service import current_status

    runtime = current_status()
    site = [str(runtime.site)] if runtime.source == "private" else None
    for label, names in _DISTRIBUTIONS.items():
        path = site if label in ENGINE_LIBRARIES else None
        versions[label] = distribution_version(*names, path=path) or "not installed"
    versions["Platform"] = platform.platform(terse=True)
    return versions

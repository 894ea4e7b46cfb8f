"""A QProcess's environment from a plain mapping: one place that builds it."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QProcessEnvironment


def process_environment(*layers: Mapping[str, str]) -> QProcessEnvironment:
    """A clean environment (nothing inherited) holding `layers`, later ones winning.

    QProcess otherwise passes the GUI's whole environment on; each caller says exactly
    what its child gets (engine_environment, child_environment…)."""
    environment = QProcessEnvironment()
    for layer in layers:
        for key, value in layer.items():
            environment.insert(key, value)
    return environment

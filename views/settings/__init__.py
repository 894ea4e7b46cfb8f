"""The Settings pane: every declared option, the data directory, and a reset."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core import AppCore
from views.settings.pane import SettingsPane


def create_pane(core: AppCore, parent: QWidget | None = None) -> QWidget:
    return SettingsPane(core, parent)


__all__ = ["SettingsPane", "create_pane"]

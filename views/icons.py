"""Icons from resources/, cached: a QIcon per name for the life of the process."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from resources import icon_path


@cache
def icon(name: str) -> QIcon:
    return QIcon(str(icon_path(name)))


def app_icon() -> QIcon:
    return icon("sparktrainer")

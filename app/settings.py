"""Every user setting, declared once with its type, default, title and description.

Panes read options here and listen to `Settings.changed`; nothing else in the
code base touches QSettings. The store is an INI file inside the data
directory, so a test's temporary `SPARKTRAINER_HOME` isolates it completely.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

T = TypeVar("T", bool, int, float, str, bytes)


@dataclass(frozen=True)
class Option(Generic[T]):
    key: str
    type: type[T]
    default: T
    title: str
    description: str
    choices: tuple[T, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    internal: bool = False
    """Window state and the like: stored, but not shown in the Settings pane."""

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    def validate(self, value: Any) -> T:
        """Coerce a stored or entered value; raise ValueError naming the option."""
        try:
            coerced = _coerce(self.type, value)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{self.key}: {value!r} is not a valid {self.type.__name__}"
            ) from error
        if self.choices and coerced not in self.choices:
            allowed = ", ".join(map(str, self.choices))
            raise ValueError(f"{self.key}: {coerced!r} is not one of {allowed}")
        if self.minimum is not None and coerced < self.minimum:
            raise ValueError(f"{self.key}: {coerced} is below the minimum {self.minimum}")
        if self.maximum is not None and coerced > self.maximum:
            raise ValueError(f"{self.key}: {coerced} is above the maximum {self.maximum}")
        return coerced


def _coerce(kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"true", "1", "yes", "on"}:
                return True
            if lowered in {"false", "0", "no", "off"}:
                return False
            raise ValueError(value)
        return bool(value)
    if kind is bytes:
        if isinstance(value, QByteArray):
            return bytes(value.data())
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        raise TypeError(value)
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return kind(value)


THEME = Option(
    "appearance.theme",
    str,
    "system",
    "Theme",
    "Follow the system's light or dark scheme, or force one.",
    choices=("system", "light", "dark"),
)
NOTIFICATIONS_ENABLED = Option(
    "notifications.enabled",
    bool,
    True,
    "Show notifications",
    "Tell me when a job finishes or fails and when something needs attention.",
)
NOTIFICATIONS_USE_TRAY = Option(
    "notifications.use_tray",
    bool,
    True,
    "Use the system tray",
    "Show notifications from the system tray where the desktop has one; "
    "otherwise they appear inside the window.",
)
NOTIFICATION_HISTORY = Option(
    "notifications.history_size",
    int,
    200,
    "Notifications kept",
    "How many past notifications the notification list remembers.",
    minimum=10,
    maximum=10_000,
)
TEMPERATURE_ALERT = Option(
    "hardware.temperature_alert",
    int,
    85,
    "GPU temperature alert (°C)",
    "Notify when a GPU reaches this temperature.",
    minimum=50,
    maximum=110,
)
MEMORY_ALERT_PERCENT = Option(
    "hardware.memory_alert_percent",
    int,
    95,
    "Memory alert (% full)",
    "Notify when GPU memory, system memory or the data disk is this full.",
    minimum=50,
    maximum=100,
)
PLAYGROUND_IDLE_MINUTES = Option(
    "models.playground_idle_minutes",
    int,
    10,
    "Playground idle time (minutes)",
    "The playground keeps its model loaded between requests and gives the memory back "
    "after this long without one; the next request loads the model again.",
    minimum=1,
    maximum=24 * 60,
)
LAST_PANE = Option(
    "window.last_pane",
    str,
    "datasets",
    "Last pane",
    "The pane shown at start-up.",
    internal=True,
)
WINDOW_GEOMETRY = Option(
    "window.geometry", bytes, b"", "Window geometry", "Size and position.", internal=True
)
WINDOW_STATE = Option(
    "window.state", bytes, b"", "Window state", "Docks and toolbars.", internal=True
)
SPLITTER_STATE = Option(
    "window.splitter", bytes, b"", "Sidebar splitter", "Sidebar width.", internal=True
)
BUILDER_NETWORK = Option(
    "window.builder_network",
    str,
    "",
    "Builder network",
    "The saved network the Builder pane showed last (reopened at start-up).",
    internal=True,
)

ALL_OPTIONS: tuple[Option[Any], ...] = (
    THEME,
    NOTIFICATIONS_ENABLED,
    NOTIFICATIONS_USE_TRAY,
    NOTIFICATION_HISTORY,
    TEMPERATURE_ALERT,
    MEMORY_ALERT_PERCENT,
    PLAYGROUND_IDLE_MINUTES,
    LAST_PANE,
    WINDOW_GEOMETRY,
    WINDOW_STATE,
    SPLITTER_STATE,
    BUILDER_NETWORK,
)

SECTION_TITLES = {
    "appearance": "Appearance",
    "notifications": "Notifications",
    "hardware": "Hardware",
    "models": "Models",
    "window": "Window",
}


class Settings(QObject):
    """Typed access to the settings file; emits `changed(key, value)` on every change."""

    changed = Signal(str, object)

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = QSettings(str(path), QSettings.Format.IniFormat)
        self._options = {option.key: option for option in ALL_OPTIONS}

    def options(self, *, include_internal: bool = False) -> Iterator[Option[Any]]:
        return (o for o in self._options.values() if include_internal or not o.internal)

    def option(self, key: str) -> Option[Any]:
        try:
            return self._options[key]
        except KeyError:
            raise KeyError(f"unknown setting {key!r}") from None

    def get(self, option: Option[T]) -> T:
        raw = self._store.value(option.key)
        if raw is None:
            return option.default
        try:
            return option.validate(raw)
        except ValueError:
            # A hand-edited or older file must not stop the app from starting.
            return option.default

    def set(self, option: Option[T], value: Any) -> None:
        coerced = option.validate(value)
        if self.get(option) == coerced and self._store.contains(option.key):
            return
        stored = QByteArray(coerced) if isinstance(coerced, bytes) else coerced
        self._store.setValue(option.key, stored)
        self.changed.emit(option.key, coerced)

    def reset(self, option: Option[Any]) -> None:
        if self._store.contains(option.key):
            self._store.remove(option.key)
            self.changed.emit(option.key, option.default)

    def sync(self) -> None:
        self._store.sync()

"""Light and dark themes on Qt's Fusion style, following the system unless told not to."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.settings import THEME, Settings

_DARK = {
    QPalette.ColorRole.Window: "#1f2329",
    QPalette.ColorRole.WindowText: "#e6e9ee",
    QPalette.ColorRole.Base: "#16191d",
    QPalette.ColorRole.AlternateBase: "#22262c",
    QPalette.ColorRole.ToolTipBase: "#2b3038",
    QPalette.ColorRole.ToolTipText: "#e6e9ee",
    QPalette.ColorRole.PlaceholderText: "#7c8590",
    QPalette.ColorRole.Text: "#e6e9ee",
    QPalette.ColorRole.Button: "#2a2f36",
    QPalette.ColorRole.ButtonText: "#e6e9ee",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Link: "#5aa9ff",
    QPalette.ColorRole.Highlight: "#e4572e",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Mid: "#3a4048",
    QPalette.ColorRole.Dark: "#111316",
    QPalette.ColorRole.Light: "#3b414a",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f4f5f7",
    QPalette.ColorRole.WindowText: "#1d232a",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f0f2f5",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1d232a",
    QPalette.ColorRole.PlaceholderText: "#8a939e",
    QPalette.ColorRole.Text: "#1d232a",
    QPalette.ColorRole.Button: "#eceef1",
    QPalette.ColorRole.ButtonText: "#1d232a",
    QPalette.ColorRole.BrightText: "#c0392b",
    QPalette.ColorRole.Link: "#1565c0",
    QPalette.ColorRole.Highlight: "#e4572e",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Mid: "#c9ced6",
    QPalette.ColorRole.Dark: "#a0a7b1",
    QPalette.ColorRole.Light: "#ffffff",
}

_STYLESHEET = """
QListView#sidebar { border: none; outline: 0; padding-top: 6px;
                    background: palette(alternate-base); }
QListView#sidebar::item { padding: 8px 10px; margin: 1px 6px; border-radius: 6px; }
QListView#sidebar::item:selected { background: palette(highlight);
                                   color: palette(highlighted-text); border: none; }
QLabel[role="pane-title"] { font-size: 18pt; font-weight: 600; }
QLabel[role="muted"] { color: palette(placeholder-text); }
QLabel[role="warning"] { color: palette(bright-text); border: 1px solid palette(bright-text);
                         border-radius: 6px; padding: 6px; }
QFrame#toast { border-radius: 8px; background: palette(base);
               border: 1px solid palette(mid); }
"""


def build_palette(dark: bool) -> QPalette:
    palette = QPalette()
    for role, color in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(color))
    disabled = QColor("#6b737d" if dark else "#9aa1aa")
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


class ThemeController(QObject):
    """Applies the theme setting and re-applies when it or the system scheme changes."""

    theme_changed = Signal(bool)
    """True when the effective theme is now dark."""

    def __init__(self, app: QApplication, settings: Settings) -> None:
        super().__init__(app)
        self._app, self._settings = app, settings
        self.is_dark = False
        app.setStyle("Fusion")
        settings.changed.connect(self._on_setting_changed)
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: self.apply())
        self.apply()

    def system_prefers_dark(self) -> bool:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark

    def apply(self) -> None:
        mode = self._settings.get(THEME)
        dark = self.system_prefers_dark() if mode == "system" else mode == "dark"
        self._app.setPalette(build_palette(dark))
        self._app.setStyleSheet(_STYLESHEET)
        if dark != self.is_dark:
            self.is_dark = dark
        self.theme_changed.emit(dark)

    def toggle(self) -> None:
        """Switch to the opposite of what is shown now; stops following the system."""
        self._settings.set(THEME, "light" if self.is_dark else "dark")

    def _on_setting_changed(self, key: str, _value: object) -> None:
        if key == THEME.key:
            self.apply()

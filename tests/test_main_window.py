"""The window: panes, shortcuts, state across restarts, theme, About."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.settings import LAST_PANE, THEME
from tests.conftest import ROOT
from views.panes import PANE_KEYS, PANES


def test_window_opens_with_every_pane_in_the_sidebar(start_session, paths, qtbot) -> None:
    session = start_session(paths)
    window = session.window
    qtbot.waitExposed(window)
    assert window.isVisible()
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles == ["Datasets", "Labeling", "Builder", "Jobs", "Models", "Hardware", "Settings"]


def test_every_sidebar_entry_shows_its_pane(start_session, paths, qtbot) -> None:
    window = start_session(paths).window
    for row, info in enumerate(PANES):
        item = window.sidebar.item(row)
        rect = window.sidebar.visualItemRect(item)
        with (
            qtbot.waitSignal(window.pane_changed)
            if window.current_pane_key() != info.key
            else _no_wait()
        ):
            qtbot.mouseClick(
                window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
            )
        assert window.current_pane_key() == info.key
        assert window.stack.currentWidget().objectName() == f"pane:{info.key}"
        assert window.stack.currentWidget().isVisible()


def test_keyboard_shortcuts_switch_panes(start_session, paths, qtbot) -> None:
    window = start_session(paths).window
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.sidebar.setFocus()
    for number, key in enumerate(PANE_KEYS, start=1):
        qtbot.keyClick(
            window.sidebar, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier
        )
        assert window.current_pane_key() == key


def test_geometry_splitter_and_last_pane_survive_a_restart(start_session, paths, qtbot) -> None:
    first = start_session(paths)
    window = first.window
    qtbot.waitExposed(window)
    # Within the offscreen screen (800×600), which restoreGeometry clamps to.
    window.setGeometry(QRect(QPoint(40, 50), QSize(720, 520)))
    wanted_size = window.size()
    window.splitter.setSizes([230, wanted_size.width() - 230])
    sidebar_width = window.splitter.sizes()[0]
    window.show_pane("models")
    first.close()

    second = start_session(paths)
    window = second.window
    qtbot.waitExposed(window)
    assert window.current_pane_key() == "models"
    assert window.size() == wanted_size
    assert window.splitter.sizes()[0] == sidebar_width
    assert second.core.settings.get(LAST_PANE) == "models"


def test_theme_toggle_switches_palette_and_is_remembered(start_session, paths, qtbot) -> None:
    session = start_session(paths)
    window = session.window
    was_dark = session.theme.is_dark
    window.toggle_theme_action.trigger()
    assert session.theme.is_dark is not was_dark
    window_color = session.app.palette().color(QPalette.ColorRole.Window)
    assert (window_color.lightness() < 128) is session.theme.is_dark
    assert session.core.settings.get(THEME) == ("dark" if session.theme.is_dark else "light")


def test_about_lists_versions_without_importing_torch(start_session, paths, qtbot) -> None:
    window = start_session(paths).window
    dialog = window.show_about()
    qtbot.waitExposed(dialog)
    for name in ("Python", "Qt", "PyTorch", "Transformers"):
        assert dialog.versions[name]
    assert "PyTorch:" in dialog.versions_text()
    dialog.close()
    # In a fresh process: this one may hold torch from the engine tests.
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from app.versions import component_versions; "
            "print(component_versions()['PyTorch']); assert 'torch' not in sys.modules",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stderr


class _no_wait:  # noqa: N801 - reads as a context manager
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_status_bar_says_when_the_database_is_ready(start_session, paths, qtbot) -> None:
    session = start_session(paths)
    label = session.window.status_label
    qtbot.waitUntil(lambda: label.text().startswith("Ready"), timeout=30_000)
    assert str(paths.root) in label.text()
    assert session.core.database_is_open


def test_sidebar_items_keep_their_styled_height_when_the_theme_was_saved(
    start_session, paths, qtbot
) -> None:
    # Regression: with a theme already saved, the sidebar was laid out before the style
    # sheet polished it, and its items overlapped at the unstyled height.
    from app.settings import Settings

    paths.ensure()
    saved = Settings(paths.settings_file)
    saved.set(THEME, "dark")
    saved.sync()
    window = start_session(paths).window
    qtbot.waitExposed(window)
    first = window.sidebar.visualItemRect(window.sidebar.item(0))
    second = window.sidebar.visualItemRect(window.sidebar.item(1))
    assert first.height() >= window.sidebar.iconSize().height() + 16  # 8 px padding each side
    assert second.top() >= first.bottom()

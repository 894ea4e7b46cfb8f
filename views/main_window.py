"""The main window: a sidebar of panes, the current pane, menus and a status bar."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from app import APP_NAME
from app.core import AppCore
from app.settings import LAST_PANE, SPLITTER_STATE, WINDOW_GEOMETRY, WINDOW_STATE
from views.about_dialog import AboutDialog
from views.icons import app_icon, icon
from views.panes import PANE_KEYS, PANES, pane_info
from views.widgets.open_folder import open_folder

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1280, 800)
SIDEBAR_WIDTH = 190


class MainWindow(QMainWindow):
    pane_changed = Signal(str)
    theme_toggle_requested = Signal()

    def __init__(self, core: AppCore) -> None:
        super().__init__()
        self.core = core
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setObjectName("main-window")
        self._panes: dict[str, QWidget] = {}
        self.stop_jobs_on_quit = False
        """What the person chose when quitting with jobs running (read by the session)."""
        self.stop_jobs_on_quit_decided = False

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Item heights come from the style sheet: polish before the first layout, or a
        # start with the theme already chosen lays the items out at the unstyled height.
        self.sidebar.ensurePolished()
        self.stack = QStackedWidget()
        for number, info in enumerate(PANES, start=1):
            item = QListWidgetItem(icon(info.key), info.title)
            item.setToolTip(f"{info.tooltip}  (Ctrl+{number})")
            item.setData(Qt.ItemDataRole.UserRole, info.key)
            self.sidebar.addItem(item)
            self.stack.addWidget(QWidget())  # swapped for the real pane when first shown
        self.sidebar.currentRowChanged.connect(self._on_sidebar_row_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([SIDEBAR_WIDTH, DEFAULT_SIZE.width() - SIDEBAR_WIDTH])
        self.setCentralWidget(self.splitter)

        self.setAcceptDrops(True)
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self._build_menus()
        self._restore_state()

    # -- panes ---------------------------------------------------------------------------

    def show_pane(self, key: str) -> QWidget:
        self.sidebar.setCurrentRow(PANE_KEYS.index(key))
        return self.pane(key)

    def current_pane_key(self) -> str:
        return PANE_KEYS[max(0, self.sidebar.currentRow())]

    def pane(self, key: str) -> QWidget:
        """The pane's widget, built on first use so start-up pays only for the first pane."""
        widget = self._panes.get(key)
        if widget is None:
            index = PANE_KEYS.index(key)
            widget = pane_info(key).factory()(self.core)
            widget.setObjectName(f"pane:{key}")
            old = self.stack.widget(index)
            self.stack.insertWidget(index, widget)
            self.stack.removeWidget(old)
            old.deleteLater()
            self._panes[key] = widget
        return widget

    def _on_sidebar_row_changed(self, row: int) -> None:
        if row < 0:
            return
        key = PANE_KEYS[row]
        self.stack.setCurrentWidget(self.pane(key))
        self.core.settings.set(LAST_PANE, key)
        self.pane_changed.emit(key)

    # -- dropping datasets anywhere -------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Files dropped on any pane become datasets: switch to Datasets and import them."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.show_pane("datasets").import_paths(paths)

    # -- menus ---------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        import_action = file_menu.addAction("&Import dataset…")
        import_action.setShortcut(QKeySequence("Ctrl+I"))
        import_action.triggered.connect(lambda: self.show_pane("datasets").choose_import())
        open_data = file_menu.addAction("Open &data folder")
        open_data.triggered.connect(lambda: self._open_folder(self.core.paths.root))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)

        view_menu = self.menuBar().addMenu("&View")
        for number, info in enumerate(PANES, start=1):
            action = view_menu.addAction(icon(info.key), info.title)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _c=False, k=info.key: self.show_pane(k))
        view_menu.addSeparator()
        self.toggle_theme_action = view_menu.addAction("Toggle &dark theme")
        self.toggle_theme_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.toggle_theme_action.triggered.connect(self.theme_toggle_requested)

        help_menu = self.menuBar().addMenu("&Help")
        open_logs = help_menu.addAction("Open &log folder")
        open_logs.triggered.connect(lambda: self._open_folder(self.core.paths.logs))
        about = help_menu.addAction(f"&About {APP_NAME}")
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _open_folder(self, path) -> None:
        open_folder(self, Path(path))

    # -- state -----------------------------------------------------------------------------

    def bring_to_front(self) -> None:
        """Called when another launch hands over to this one."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _restore_state(self) -> None:
        settings = self.core.settings
        if not self.restoreGeometry(settings.get(WINDOW_GEOMETRY)):
            self.resize(DEFAULT_SIZE)
        self.restoreState(settings.get(WINDOW_STATE))
        self.splitter.restoreState(settings.get(SPLITTER_STATE))
        last = settings.get(LAST_PANE)
        self.show_pane(last if last in PANE_KEYS else PANE_KEYS[0])

    def save_state(self) -> None:
        settings = self.core.settings
        settings.set(WINDOW_GEOMETRY, bytes(self.saveGeometry().data()))
        settings.set(WINDOW_STATE, bytes(self.saveState().data()))
        settings.set(SPLITTER_STATE, bytes(self.splitter.saveState().data()))
        settings.set(LAST_PANE, self.current_pane_key())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.core.jobs.running_jobs() if self.core.has_jobs else []
        if running and not self.stop_jobs_on_quit_decided:
            from views.jobs.quit_dialog import QuitChoice, ask_about_running_jobs

            choice = ask_about_running_jobs(self, running)
            if choice is QuitChoice.CANCEL:
                event.ignore()
                return
            self.stop_jobs_on_quit = choice is QuitChoice.STOP
            self.stop_jobs_on_quit_decided = True
        self.save_state()
        super().closeEvent(event)

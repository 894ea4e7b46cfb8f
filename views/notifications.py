"""Presenting notifications: the system tray where there is one, a toast in the window
otherwise, and a bell in the status bar with the history."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from app import APP_NAME
from app.notifications import Level, Notification, NotificationService
from app.settings import NOTIFICATIONS_USE_TRAY, Settings
from views.icons import app_icon, icon
from views.widgets.notification_list import NotificationListModel

TOAST_MS = 6_000

_TRAY_ICONS = {
    Level.INFO: QSystemTrayIcon.MessageIcon.Information,
    Level.SUCCESS: QSystemTrayIcon.MessageIcon.Information,
    Level.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Level.ERROR: QSystemTrayIcon.MessageIcon.Critical,
}


class Toast(QFrame):
    """A transient card at the window's top right, over the pane's title row (at the
    bottom it covered a preview's last rows and the thumbnails); a click dismisses it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("toast")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Opaque: it lies over the pane's title and subtitle.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        self._title = QLabel()
        self._title.setStyleSheet("font-weight: 600")
        self._message = QLabel()
        self._message.setWordWrap(True)
        # Names and error messages are the person's text, never markup.
        for label in (self._title, self._message):
            label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._message)
        self.setFixedWidth(340)
        self._timer = QTimer(self, singleShot=True, interval=TOAST_MS)
        self._timer.timeout.connect(self.hide)
        self.hide()

    @property
    def title(self) -> str:
        return self._title.text()

    def show_notification(self, notification: Notification) -> None:
        self._title.setText(notification.title)
        self._message.setText(notification.message)
        self._message.setVisible(bool(notification.message))
        self.adjustSize()
        parent = self.parentWidget()
        margin = 12
        menu_height = (
            parent.menuBar().height()
            if isinstance(parent, QMainWindow) and parent.menuBar().isVisible()
            else 0
        )
        self.move(QPoint(parent.width() - self.width() - margin, menu_height + margin // 2))
        self.raise_()
        self.show()
        self._timer.start()

    def mousePressEvent(self, event) -> None:
        self.hide()
        super().mousePressEvent(event)


class NotificationPresenter(QObject):
    """Chooses tray or toast for each notification, and keeps the bell's history."""

    def __init__(
        self,
        window: QMainWindow,
        service: NotificationService,
        settings: Settings,
        tray_menu: QMenu | None = None,
    ) -> None:
        super().__init__(window)
        self._window, self._service, self._settings = window, service, settings
        self.toast = Toast(window)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), window)
            self.tray.setToolTip(APP_NAME)
            if tray_menu is not None:
                self.tray.setContextMenu(tray_menu)
            self.tray.activated.connect(self._on_tray_activated)
            self.tray.show()

        self.history = NotificationListModel(self)
        self.bell = QToolButton()
        self.bell.setIcon(icon("bell"))
        self.bell.setAutoRaise(True)
        self.bell.setToolTip("Notifications")
        self.bell.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.bell.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        menu = QMenu(self.bell)
        view = QListView()
        view.setModel(self.history)
        view.setMinimumSize(380, 260)
        view.setWordWrap(True)
        action = QWidgetAction(menu)
        action.setDefaultWidget(view)
        menu.addAction(action)
        menu.aboutToShow.connect(self._on_history_opened)
        self.bell.setMenu(menu)

        service.notified.connect(self._on_notified)
        service.history_changed.connect(self.reload)

    def uses_tray(self) -> bool:
        return self.tray is not None and self._settings.get(NOTIFICATIONS_USE_TRAY)

    def reload(self) -> None:
        self._service.load_history(self._on_history_loaded, context=self.history)

    def _on_history_loaded(self, rows: list[Notification]) -> None:
        self.history.set_notifications(rows)
        unread = self.history.unread_count()
        self.bell.setText(str(unread) if unread else "")

    def _on_history_opened(self) -> None:
        if self.history.unread_count():
            self._service.mark_all_read()

    def _on_notified(self, notification: Notification) -> None:
        if self.uses_tray():
            assert self.tray is not None
            self.tray.showMessage(
                notification.title, notification.message, _TRAY_ICONS[notification.level], TOAST_MS
            )
        else:
            self.toast.show_notification(notification)

    def _on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._window.showNormal()
            self._window.raise_()
            self._window.activateWindow()

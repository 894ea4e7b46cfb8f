"""The playground: a model (or one of its job's checkpoints) tried in a warm engine worker.

The page follows the model's task: a streamed chat for causal LMs, bars and a batch table
for classifiers. Nothing here waits on the worker: a load, a request, a crash all arrive as
signals from the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.playground import PlaygroundSession, Target
from app.settings import PLAYGROUND_IDLE_MINUTES, Settings
from views.models.playground_classify import ClassifyPage
from views.models.playground_generate import GeneratePage, elided_label

PAGES = {"causal_lm_sft": 1, "text_classification": 2, "image_classification": 3}
STATES = {
    "stopped": "Not loaded: the next request loads it",
    "loading": "Loading the model…",
    "ready": "Ready",
    "busy": "Working…",
}


def idle_seconds(settings: Settings) -> Callable[[], float]:
    return lambda: 60.0 * settings.get(PLAYGROUND_IDLE_MINUTES)


class PlaygroundView(QWidget):
    def __init__(self, session: PlaygroundSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.targets: list[Target] = []
        self._wanted: Target | None = None

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.source = QComboBox()
        self.source.setToolTip("The model itself, or one of its job's checkpoints")
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source.activated.connect(self._choose)
        self.state = elided_label()
        self.reload_button = QPushButton("Reload")
        self.reload_button.setToolTip("Load the model again (after its files changed)")
        self.reload_button.clicked.connect(self.reload)
        top.addWidget(QLabel("Try"))
        top.addWidget(self.source)
        top.addWidget(self.state, 1)
        top.addWidget(self.reload_button)
        layout.addLayout(top)
        self.banner = QLabel()
        self.banner.setProperty("role", "warning")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.pages = QStackedWidget()
        self.unavailable = QLabel()
        self.unavailable.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unavailable.setWordWrap(True)
        self.generate_page = GeneratePage(session)
        self.text_page = ClassifyPage(session, "text")
        self.image_page = ClassifyPage(session, "image")
        for page in (self.unavailable, self.generate_page, self.text_page, self.image_page):
            self.pages.addWidget(page)
        layout.addWidget(self.pages, 1)

        session.state_changed.connect(self._show_state)
        session.loaded.connect(self._on_loaded)
        session.failed.connect(self._on_failed)
        session.crashed.connect(self._on_crashed)
        self._show_state(session.state)

    # -- what to try ------------------------------------------------------------------------

    def set_targets(self, targets: list[Target], task: str) -> None:
        """The model (first) and its checkpoints; loaded now if shown, else when shown."""
        self.targets = targets
        self.source.clear()
        for target in targets:
            self.source.addItem(target.name)
        self.pages.setCurrentIndex(PAGES.get(task, 0) if targets else 0)
        self.banner.hide()
        self._wanted = targets[0] if targets else None
        if self.isVisible():
            self._load_wanted()

    def show_unavailable(self, reason: str) -> None:
        self.set_targets([], "")
        self.unavailable.setText(reason)

    def reload(self) -> None:
        index = self.source.currentIndex()
        if 0 <= index < len(self.targets):
            self._wanted = self.targets[index]
            self.session.target = None
            self._load_wanted()

    def _choose(self, index: int) -> None:
        if 0 <= index < len(self.targets):
            self._wanted = self.targets[index]
            self._load_wanted()

    def _load_wanted(self) -> None:
        wanted = self._wanted
        if wanted is not None and wanted != self.session.target:
            self.banner.hide()
            self.session.load(wanted)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._load_wanted()

    # -- the session ------------------------------------------------------------------------

    def _show_state(self, state: str) -> None:
        text = STATES.get(state, state)
        info = self.session.info
        if state == "ready" and info:
            text = (
                f"Ready · {info.get('parameters') or 0:,} parameters on "
                f"{info.get('device', 'cpu')} · loaded in {info.get('seconds', 0):.1f} s"
            )
        self.state.setText(text)
        self.state.setToolTip(text)
        self.reload_button.setEnabled(bool(self.targets) and state != "loading")

    def _on_loaded(self, info: dict[str, Any]) -> None:
        self.generate_page.model_loaded(info)
        self._show_state(self.session.state)

    def _on_failed(self, request_id: int, message: str) -> None:
        if self.session.info is None and self.session.state != "loading":
            self.banner.setText(f"Cannot load the model: {message}")
            self.banner.show()

    def _on_crashed(self, message: str) -> None:
        first, _, detail = message.partition("\n")
        self.banner.setText(f"{first} The next request starts a new one.")
        self.banner.setToolTip(detail)
        self.banner.show()


class PlaygroundWindow(QWidget):
    """A playground of its own, for a job's checkpoints (a run that has no model yet)."""

    def __init__(
        self, title: str, targets: list[Target], task: str, settings: Settings,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"Playground: {title}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.session = PlaygroundSession(idle_seconds(settings), self)
        self.view = PlaygroundView(self.session, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(900, 620)
        self.view.set_targets(targets, task)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.shutdown()
        super().closeEvent(event)

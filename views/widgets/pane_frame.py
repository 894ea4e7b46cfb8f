"""The frame every pane shares: a title, a one-line purpose, then the pane's body."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget


class PaneFrame(QWidget):
    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(6)
        heading = QLabel(title)
        heading.setProperty("role", "pane-title")
        caption = QLabel(subtitle)
        caption.setProperty("role", "muted")
        caption.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(caption)
        layout.addSpacing(10)
        self.body = QVBoxLayout()
        layout.addLayout(self.body, 1)

    def add_scrolling(self, content: QWidget) -> None:
        """Put a tall body in a frameless scroll area, so a small window still reaches it all."""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        self.body.addWidget(scroll)


class EmptyState(QWidget):
    """What a pane shows when it has nothing yet: what it is for and what to do first."""

    def __init__(self, headline: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for content, role in ((headline, None), (text, "muted")):
            label = QLabel(content)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            if role:
                label.setProperty("role", role)
            else:
                font = label.font()
                font.setPointSizeF(font.pointSizeF() * 1.3)
                label.setFont(font)
            layout.addWidget(label)
        self._actions = QVBoxLayout()
        layout.addLayout(self._actions)
        layout.addStretch(2)

    def add_action(self, widget: QWidget) -> QWidget:
        """A first step to offer under the text (a button), centred."""
        self._actions.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        return widget

"""The playground for a causal LM: a chat (or raw text) streamed token by token, the
sampling settings, and the prompt exactly as the model receives it."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.models.playground import PlaygroundSession

PAINT_MS = 100
"""Streamed text is painted at most this often (DESIGN.md §5), however fast it arrives."""
MODES = (("Chat, as the model was trained", "chat"), ("Raw text to continue", "raw"))


def parse_stops(text: str) -> list[str]:
    r"""Stop strings separated by commas; `\n` is a newline and `\,` a comma."""
    marker = "\x00"
    parts = text.replace("\\,", marker).split(",")
    return [
        part.replace(marker, ",").replace("\\n", "\n").replace("\\t", "\t")
        for part in (p.strip() for p in parts)
        if part
    ]


ENDINGS = {
    "eos": "the model ended its answer",
    "stop": "stopped at a stop string",
    "length": "reached the token limit",
    "cancelled": "stopped by you",
}
"""How a generation ended, in the words the status line uses."""


def elided_label() -> QLabel:
    """A status line that never widens its page: long text is cut, and read in full in the
    tooltip."""
    label = QLabel()
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class GeneratePage(QWidget):
    busy_changed = Signal(bool)

    def __init__(self, session: PlaygroundSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.history: list[dict[str, str]] = []
        self.request: int | None = None
        self._pending_text = ""
        self._answer = ""
        self._paint = QTimer(self, interval=PAINT_MS, singleShot=True)
        self._paint.timeout.connect(self._paint_tokens)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        layout.addWidget(splitter)

        conversation = QWidget()
        column = QVBoxLayout(conversation)
        column.setContentsMargins(0, 0, 0, 0)
        self.views = QTabWidget()
        self.transcript = QTextBrowser()
        self.transcript.setPlaceholderText("The conversation appears here.")
        self.rendered = QPlainTextEdit(readOnly=True)
        self.rendered.setPlaceholderText("The last prompt, exactly as the model received it.")
        self.views.addTab(self.transcript, "Conversation")
        self.views.addTab(self.rendered, "Prompt as the model sees it")
        column.addWidget(self.views, 1)
        self.status = elided_label()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.status)
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("Ask something… (Ctrl+Enter sends)")
        self.input.setMaximumHeight(110)
        column.addWidget(self.input)
        buttons = QHBoxLayout()
        self.mode = QComboBox()
        self.mode.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.mode.setMinimumContentsLength(12)
        for label, _mode in MODES:
            self.mode.addItem(label)
        self.mode.setToolTip(
            "Chat writes the conversation with the model's chat template, or the prompt "
            "format it was trained on; raw text is continued as it is."
        )
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop generating (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.clear_button = QPushButton("New chat")
        self.clear_button.setToolTip("Forget the conversation (Ctrl+L)")
        self.clear_button.clicked.connect(self.clear)
        buttons.addWidget(self.mode)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.send_button)
        column.addLayout(buttons)
        splitter.addWidget(conversation)
        splitter.addWidget(self._settings())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.send)
        QShortcut(QKeySequence("Escape"), self, self.stop)
        QShortcut(QKeySequence("Ctrl+L"), self, self.clear)
        session.prompt.connect(self._on_prompt)
        session.token.connect(self._on_token)
        session.result.connect(self._on_result)
        session.failed.connect(self._on_failed)
        self._update_buttons()

    def _settings(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        self.max_new_tokens = QSpinBox(minimum=1, maximum=4096, value=128)
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.1, value=0.7)
        self.temperature.setToolTip("0 always picks the likeliest token (greedy)")
        self.top_p = QDoubleSpinBox(minimum=0.01, maximum=1.0, singleStep=0.05, value=0.95)
        self.top_k = QSpinBox(minimum=0, maximum=100_000, value=50)
        self.top_k.setToolTip("0: no limit")
        self.seed = QSpinBox(minimum=-1, maximum=2**31 - 1, value=-1)
        self.seed.setSpecialValueText("random")
        self.seed.setToolTip("A fixed seed gives the same answer to the same prompt")
        self.stops = QLineEdit()
        self.stops.setPlaceholderText(r"e.g. \n###, </s>")
        self.stops.setToolTip(r"Generation ends at any of these (comma-separated; \n is a newline)")
        form.addRow("Max new tokens", self.max_new_tokens)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        form.addRow("Top-k", self.top_k)
        form.addRow("Seed", self.seed)
        form.addRow("Stop at", self.stops)
        return box

    # -- what the model is ------------------------------------------------------------------

    def model_loaded(self, info: dict[str, Any]) -> None:
        """Chat for models that read prompts, raw text for those trained on plain text."""
        self.mode.setCurrentIndex(1 if info.get("prompt_format") == "text" else 0)
        self._update_buttons()

    # -- requests ---------------------------------------------------------------------------

    def send(self) -> None:
        text = self.input.toPlainText()
        if self.request is not None or not text.strip():
            return
        sampling: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens.value(),
            "temperature": self.temperature.value(),
            "top_p": self.top_p.value(),
            "top_k": self.top_k.value(),
            "seed": None if self.seed.value() < 0 else self.seed.value(),
            "stop": parse_stops(self.stops.text()),
        }
        if MODES[self.mode.currentIndex()][1] == "chat":
            self.history.append({"role": "user", "content": text})
            self._append_turn("You", text)
            self.request = self.session.generate(messages=list(self.history), **sampling)
        else:
            self.history.clear()
            self.transcript.clear()
            self._append_plain(text)
            self.request = self.session.generate(text=text, **sampling)
        self.input.clear()
        self._answer = ""
        self._start_answer()
        self.status.setText("Generating…")
        self._update_buttons()

    def stop(self) -> None:
        if self.request is not None:
            self.session.cancel(self.request)
            self.status.setText("Stopping…")

    def clear(self) -> None:
        if self.request is not None:
            return
        self.history.clear()
        self.transcript.clear()
        self.rendered.clear()
        self.status.clear()

    # -- answers ----------------------------------------------------------------------------

    def _on_prompt(self, request_id: int, prompt: str) -> None:
        if request_id == self.request:
            self.rendered.setPlainText(prompt)

    def _on_token(self, request_id: int, text: str) -> None:
        if request_id != self.request:
            return
        self._pending_text += text
        self._answer += text
        if not self._paint.isActive():
            self._paint.start()

    def _paint_tokens(self) -> None:
        if self._pending_text:
            cursor = self.transcript.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(self._pending_text)
            self._pending_text = ""
            self.transcript.ensureCursorVisible()

    def _on_result(self, request_id: int, result: dict[str, Any]) -> None:
        if request_id != self.request:
            return
        self._paint.stop()
        self._paint_tokens()
        self.request = None
        answer = str(result.get("text", self._answer))
        if MODES[self.mode.currentIndex()][1] == "chat" and self.history:
            self.history.append({"role": "assistant", "content": answer})
        speed = result.get("tokens_per_second")
        ended = ENDINGS.get(str(result.get("finish")), str(result.get("finish")))
        self.status.setText(
            f"{result.get('tokens', 0)} tokens"
            + (f" · {speed:.0f} tokens/s" if speed else "")
            + f" · {ended}"
        )
        self.status.setToolTip(self.status.text())
        self._update_buttons()

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self.request:
            return
        self._paint.stop()
        self.request = None
        if self.history and self.history[-1]["role"] == "user":
            self.history.pop()  # unanswered: it is not part of the conversation
        self._append_note(message)
        self.status.setText("Failed")
        self._update_buttons()

    # -- the transcript ---------------------------------------------------------------------

    def _append_turn(self, who: str, text: str) -> None:
        body = html.escape(text).replace("\n", "<br>")
        self.transcript.append(f"<p><b>{who}</b><br>{body}</p>")

    def _append_plain(self, text: str) -> None:
        self.transcript.setPlainText(text)

    def _start_answer(self) -> None:
        if self.history:
            self.transcript.append("<p><b>Model</b></p>")
            self.transcript.append("")  # a new block the streamed text goes into

    def _append_note(self, message: str) -> None:
        self.transcript.append(f"<p><i>{html.escape(message)}</i></p>")

    def _update_buttons(self) -> None:
        running = self.request is not None
        self.send_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.clear_button.setEnabled(not running)
        self.busy_changed.emit(running)

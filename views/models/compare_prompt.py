"""The same prompt answered by each text generation model of a comparison, side by side:
one warm playground worker per model, all streaming at once, one set of sampling settings
(a fixed seed by default, so the answers differ by model and not by chance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.models.playground import GENERATING, PlaygroundSession, Target, target_for_model
from app.models.store import ModelRecord
from views.models.playground_generate import ENDINGS, elided_label

PAINT_MS = 30
"""Streamed tokens are painted in batches: four streams never repaint per token."""


class AnswerColumn(QGroupBox):
    """One model's answer, streamed, with how it ended."""

    def __init__(self, model: ModelRecord, target: Target, session: PlaygroundSession) -> None:
        super().__init__(model.name)
        self.model, self.target, self.session = model, target, session
        self.request: int | None = None
        self.pending = ""
        self.answer = QPlainTextEdit(readOnly=True)
        self.answer.setObjectName("answer")
        self.answer.setPlaceholderText("The answer appears here.")
        self.status = elided_label()
        self.status.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.answer, 1)
        layout.addWidget(self.status)
        session.state_changed.connect(self._on_state)
        session.token.connect(self._on_token)
        session.result.connect(self._on_result)
        session.failed.connect(self._on_failed)

    @property
    def text(self) -> str:
        return self.answer.toPlainText() + self.pending

    def start(self, messages: list[dict[str, str]], sampling: dict[str, Any]) -> None:
        if self.session.target != self.target:
            self.session.load(self.target)
        self.answer.clear()
        self.pending = ""
        self.request = self.session.generate(messages=messages, **sampling)
        self.status.setText("Loading the model…" if self.session.state == "loading" else "…")

    def stop(self) -> None:
        if self.request is not None:
            self.session.cancel(self.request)

    def paint(self) -> None:
        if self.pending:
            cursor = self.answer.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(self.pending)
            self.pending = ""

    def _on_state(self, state: str) -> None:
        if self.request is not None and state == "busy":
            self.status.setText("Generating…")

    def _on_token(self, request_id: int, text: str) -> None:
        if request_id == self.request:
            self.pending += text

    def _on_result(self, request_id: int, result: dict[str, Any]) -> None:
        if request_id != self.request:
            return
        self.paint()
        self.request = None
        speed = result.get("tokens_per_second")
        ended = ENDINGS.get(str(result.get("finish")), str(result.get("finish")))
        self.status.setText(
            f"{result.get('tokens', 0)} tokens"
            + (f" · {speed:.0f} tokens/s" if speed else "")
            + f" · {ended}"
        )
        self.status.setToolTip(self.status.text())

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self.request:
            return
        self.paint()
        self.request = None
        self.status.setText(f"Failed: {message}")
        self.status.setToolTip(message)


class SamePrompt(QWidget):
    def __init__(
        self,
        models: list[ModelRecord],
        idle_seconds: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns: list[AnswerColumn] = []
        left_out = []
        answers = QHBoxLayout()
        for model in models:
            if model.task != GENERATING:
                left_out.append(f"{model.name} ({model.task_name})")
                continue
            try:
                target = target_for_model(model)
            except UserError as error:
                left_out.append(f"{model.name} ({error.message.split(':')[0]})")
                continue
            column = AnswerColumn(model, target, PlaygroundSession(idle_seconds, self))
            answers.addWidget(column, 1)
            self.columns.append(column)
        self.note = QLabel("Not answering: " + "; ".join(left_out) if left_out else "")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(left_out))

        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("A prompt for every model… (Ctrl+Enter sends)")
        self.input.setMaximumHeight(90)
        self.max_new_tokens = QSpinBox(minimum=1, maximum=4096, value=128)
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.1, value=0.7)
        self.temperature.setToolTip("0 always picks the likeliest token (greedy)")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.seed.setToolTip("The same seed for every model: their answers differ by model")
        self.send_button = QPushButton("Send to all")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop every answer")
        self.stop_button.clicked.connect(self.stop)
        settings = QHBoxLayout()
        for label, widget in (
            ("Max new tokens", self.max_new_tokens),
            ("Temperature", self.temperature),
            ("Seed", self.seed),
        ):
            settings.addWidget(QLabel(label))
            settings.addWidget(widget)
        settings.addStretch(1)
        settings.addWidget(self.stop_button)
        settings.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(answers, 1)
        layout.addWidget(self.input)
        layout.addLayout(settings)

        self._paint = QTimer(self, interval=PAINT_MS)
        self._paint.timeout.connect(self._paint_all)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.send)
        for column in self.columns:
            column.session.result.connect(lambda *_: self._update_buttons())
            column.session.failed.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return any(column.request is not None for column in self.columns)

    def send(self) -> None:
        text = self.input.toPlainText().strip()
        if self.busy or not text or not self.columns:
            return
        sampling = {
            "max_new_tokens": self.max_new_tokens.value(),
            "temperature": self.temperature.value(),
            "seed": self.seed.value(),
        }
        for column in self.columns:
            column.start([{"role": "user", "content": text}], sampling)
        self._paint.start()
        self._update_buttons()

    def stop(self) -> None:
        for column in self.columns:
            column.stop()

    def shutdown(self) -> None:
        self._paint.stop()
        for column in self.columns:
            column.session.shutdown()

    def _paint_all(self) -> None:
        for column in self.columns:
            column.paint()
        if not self.busy:
            self._paint.stop()

    def _update_buttons(self) -> None:
        busy = self.busy
        self.send_button.setEnabled(not busy and bool(self.columns))
        self.stop_button.setEnabled(busy)

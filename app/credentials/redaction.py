"""Removing secret values from every log line of this process, by value."""

from __future__ import annotations

import logging
import threading

MASK = "[redacted]"
_MIN_LENGTH = 6  # shorter values would redact ordinary words


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if value and len(value) >= _MIN_LENGTH:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._values:
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
            if record.exc_text:
                record.exc_text = self.redact(record.exc_text)
        return True


REDACTOR = Redactor()


def install() -> None:
    """Attach the redactor to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)

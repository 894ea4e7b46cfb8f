"""Removing secret values from every log line of this process, tracebacks included, in
every form the engine's rule knows (any case, spaced, a prefix of 8+ characters)."""

from __future__ import annotations

import logging
import re
import threading

from engine.protocol import clean_secret, secret_pattern

MASK = "[redacted]"
_MIN_LENGTH = 6  # shorter values would redact ordinary words


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        value = clean_secret(value)
        if value and len(value) >= _MIN_LENGTH:
            with self._lock:
                self._values.add(value)
                self._pattern = secret_pattern(self._values)

    def redact(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._values:
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
            if record.exc_info and not record.exc_text:
                # log.exception: the traceback is formatted later, by the handler; format
                # it now so the redacted text is the one written.
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.redact(record.exc_text)
            if record.stack_info:
                record.stack_info = self.redact(record.stack_info)
        return True


REDACTOR = Redactor()


def install() -> None:
    """Attach the redactor to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)

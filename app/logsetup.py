"""Logging to `DATA/logs/app.log` with rotation, plus stderr when asked."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
_MAX_BYTES = 5 * 1024 * 1024
_BACKUPS = 5


def configure_logging(log_file: Path, *, level: int = logging.INFO, stderr: bool = False) -> None:
    """Send every logger to a rotating file; idempotent so tests may call it often."""
    root = logging.getLogger()
    root.setLevel(level)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for handler in list(root.handlers):
        if getattr(handler, "_sparktrainer", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler._sparktrainer = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    from app.paths import STARTUP_NOTES

    while STARTUP_NOTES:
        logging.getLogger("app.paths").warning(STARTUP_NOTES.pop(0))
    if stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream._sparktrainer = True  # type: ignore[attr-defined]
        root.addHandler(stream)

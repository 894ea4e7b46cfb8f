"""Uncaught errors never pass silently.

`sys.excepthook` (and `threading.excepthook`) log the traceback and hand it to
a presenter the GUI registers (the crash dialog); `faulthandler` writes a
native crash (a segfault in a C extension) to `logs/crash.log`.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from app.errors import is_known

log = logging.getLogger(__name__)

Presenter = Callable[[BaseException, str], None]

_presenter: Presenter | None = None
_fault_file: IO[str] | None = None


def format_exception(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    text = "".join(traceback.format_exception(kind, error, tb))
    if is_known(error):
        log.warning("%s", error)
    else:
        log.critical("Uncaught exception:\n%s", text)
    if _presenter is None:
        sys.__excepthook__(kind, error, tb)
        return
    try:
        _presenter(error, text)
    except Exception:
        log.exception("The crash presenter failed")
        sys.__excepthook__(kind, error, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def install(crash_log: Path) -> None:
    """Install the hooks; safe to call again (tests do)."""
    global _fault_file
    crash_log.parent.mkdir(parents=True, exist_ok=True)
    if _fault_file is None or Path(_fault_file.name) != crash_log:
        previous = _fault_file
        # Lives as long as the process: faulthandler writes to its descriptor on a fault.
        _fault_file = crash_log.open("a", encoding="utf-8")
        faulthandler.enable(_fault_file, all_threads=True)
        if previous is not None:
            previous.close()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def set_presenter(presenter: Presenter | None) -> None:
    """Where uncaught errors are shown; the crash dialog in the GUI, stderr otherwise."""
    global _presenter
    _presenter = presenter

"""`python -m views.<pane>`: one pane in its own window, for development and smoke tests.

With `SPARKTRAINER_PREVIEW_SMOKE=1` the preview exits 0 right after its first
frame, and 1 if anything raised on the way.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from app import crash
from app.core import AppCore
from app.paths import HOME_ENV, DataPaths, data_paths
from app.tasks import pending
from views.application import ensure_application
from views.first_frame import FirstFrameWatcher
from views.theme import ThemeController

SMOKE_ENV = "SPARKTRAINER_PREVIEW_SMOKE"
SETTLE_SECONDS = 60


def preview(factory: Callable[[AppCore], QWidget]) -> int:
    smoke = os.environ.get(SMOKE_ENV) == "1"
    if smoke and not os.environ.get(HOME_ENV):
        paths = DataPaths(Path(tempfile.mkdtemp(prefix="sparktrainer-preview-"))).ensure()
    else:
        paths = data_paths()
    app = ensure_application()
    failures: list[str] = []
    crash.install(paths.crash_log)
    crash.set_presenter(lambda _e, text: (failures.append(text), print(text, file=sys.stderr)))
    core = AppCore(paths)
    ThemeController(app, core.settings)
    core.open_database()
    widget = factory(core)
    widget.resize(1000, 700)
    watcher = FirstFrameWatcher(widget)
    if smoke:
        # After the first frame, wait until the pane's background loads have delivered
        # (their callbacks run, and can fail, only then); a pane that never settles fails.
        started = time.monotonic()
        settle = QTimer(interval=50)

        def check() -> None:
            settled = pending() == 0
            if settled or time.monotonic() - started > SETTLE_SECONDS:
                settle.stop()
                if not settled:
                    failures.append(f"background tasks still running after {SETTLE_SECONDS} s")
                app.exit(1 if failures else 0)

        settle.timeout.connect(check)
        watcher.painted.connect(lambda _t: settle.start())
    widget.show()
    code = app.exec()
    core.shutdown()
    return 1 if failures else code

"""`python -m views.screenshot OUT.png [--pane KEY] [--theme light|dark]`: a picture of the window.

Used for the README and for looking at a pane without a screen (offscreen or Xvfb).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from app.paths import DataPaths
from app.settings import THEME
from views.application import GuiSession, ensure_application
from views.panes import PANE_KEYS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m views.screenshot")
    parser.add_argument("output", type=Path)
    parser.add_argument("--pane", choices=PANE_KEYS, default="settings")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--size", default="1280x800")
    parser.add_argument(
        "--home", type=Path, help="an existing data folder to show (default: a new, empty one)"
    )
    parser.add_argument(
        "--wait", type=float, default=0.0, help="seconds to let live panes gather readings first"
    )
    args = parser.parse_args(argv)

    app = ensure_application()
    home = args.home or Path(tempfile.mkdtemp(prefix="sparktrainer-shot-"))
    paths = DataPaths(home).ensure()
    session = GuiSession(app, paths)
    if not session.start():
        return 1
    assert session.core is not None and session.window is not None
    session.core.settings.set(THEME, args.theme)
    session.core.open_database()
    width, height = map(int, args.size.split("x"))
    session.window.resize(width, height)
    session.window.show_pane(args.pane)
    if args.wait:
        from PySide6.QtCore import QEventLoop, QTimer

        session.core.start_hardware()
        loop = QEventLoop()
        QTimer.singleShot(int(args.wait * 1000), loop.quit)
        loop.exec()
    for _ in range(5):
        app.processEvents()
    ok = session.window.grab().save(str(args.output))
    session.close()
    print(f"wrote {args.output}" if ok else f"could not write {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

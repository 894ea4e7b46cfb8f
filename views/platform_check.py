"""Before the window: can Qt's X11 platform plugin load? When a system library is
missing Qt aborts with a misleading line ("xcb-cursor0 is needed"), so find out first
and print the exact packages to install.

The check dlopens the plugin's own library (it would be loaded a moment later anyway):
the loader names the first library that is missing.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

DEBIAN_PACKAGES = (
    "libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 "
    "libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
    "libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0"
)
"""What Qt's xcb plugin needs on Debian and Ubuntu (the same list as .ci/run)."""
FEDORA_PACKAGES = (
    "mesa-libEGL mesa-libGL libglvnd-opengl fontconfig freetype dbus-libs libxkbcommon "
    "libxkbcommon-x11 xcb-util-cursor xcb-util-wm xcb-util-keysyms xcb-util-image "
    "xcb-util-renderutil"
)


def install_hint() -> str:
    return (
        "On Debian or Ubuntu:\n"
        f"  sudo apt-get install -y {DEBIAN_PACKAGES}\n"
        "On Fedora:\n"
        f"  sudo dnf install -y {FEDORA_PACKAGES}"
    )


def missing_library() -> str | None:
    """The loader's error when Qt's X11 plugin cannot load here, else None (also when
    Qt will not use X11: another platform asked for, or not Linux)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return None
    if not os.environ.get("DISPLAY") or (not platform and os.environ.get("WAYLAND_DISPLAY")):
        return None  # no X server (Qt says so itself), or Wayland first
    import PySide6

    library = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6XcbQpa.so.6"
    if not library.exists():
        return None  # a system Qt: its packages bring their dependencies
    try:
        ctypes.CDLL(str(library))
    except OSError as error:
        return str(error)
    return None


def report_missing_libraries() -> bool:
    """Print what to install and return True when the window cannot open."""
    error = missing_library()
    if error is None:
        return False
    print(
        f"Qt cannot open a window: a system library is missing ({error}).\n{install_hint()}",
        file=sys.stderr,
    )
    return True

"""The application icon at every size a desktop asks for, rendered from the one SVG.

Linux menus want hicolor PNGs (16 … 512 px), Windows an .ico, macOS an .icns; all come
from resources/icons/sparktrainer.svg, so there is one drawing to keep.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "sparktrainer.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_pngs(folder: Path) -> dict[int, Path]:
    """`folder/<N>x<N>/apps/sparktrainer.png` for each size (the hicolor layout)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a drawable SVG")
    made = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        target = folder / f"{size}x{size}" / "apps" / "sparktrainer.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            raise SystemExit(f"{target}: could not be written")
        made[size] = target
    return made


def write_ico(pngs: dict[int, Path], target: Path) -> Path:
    from PIL import Image

    with Image.open(pngs[256]) as largest:
        largest.save(target, sizes=[(s, s) for s in SIZES if s <= 256])
    return target


def write_icns(pngs: dict[int, Path], target: Path) -> Path:
    from PIL import Image

    with Image.open(pngs[512]) as largest:
        largest.save(target, format="ICNS")
    return target


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/icons")
    pngs = render_pngs(out / "hicolor")
    write_ico(pngs, out / "sparktrainer.ico")
    write_icns(pngs, out / "sparktrainer.icns")
    print(f"icons in {out}")

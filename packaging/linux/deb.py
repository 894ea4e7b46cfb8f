"""The Debian package: the frozen folder under /opt/sparktrainer, a menu entry, icons and
/usr/bin/sparktrainer. dpkg owns every file it installs and nothing else, so removing the
package leaves the person's data folder (~/.local/share/sparktrainer) as it was."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PREFIX = Path("opt") / "sparktrainer"
DEPENDS = (
    # What Qt's xcb platform plugin loads from the system (PyInstaller never bundles
    # these: they must match the machine's X server and GPU driver).
    "libc6 (>= 2.31)", "libegl1", "libgl1", "libopengl0", "libfontconfig1", "libfreetype6",
    "libglib2.0-0t64 | libglib2.0-0", "libdbus-1-3", "libxkbcommon0", "libxkbcommon-x11-0",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-shape0",
    "libxcb-randr0", "libxcb-render-util0", "libxcb-image0", "libxcb-xinerama0",
)  # fmt: skip
REFRESH = """#!/bin/sh
set -e
# Menus and icon themes pick the entry up (or drop it) at once.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q /usr/share/applications || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
"""


def control(version: str, architecture: str, installed_kib: int, offline: bool) -> str:
    variant = " It carries PyTorch (CPU build) for machines without a network." if offline else ""
    return (
        f"Package: sparktrainer\n"
        f"Version: {version}\n"
        f"Architecture: {architecture}\n"
        "Maintainer: SparkTrainer developers <dev@sparktrainer.invalid>\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Homepage: https://github.com/sparktrainer/sparktrainer\n"
        "Description: from a raw dataset to a trained, tested, exported model\n"
        " SparkTrainer is a desktop application for datasets, labeling, training jobs\n"
        f" and models on your own GPU workstation.{variant}\n"
    )


def _size_kib(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) // 1024


def build_deb(
    frozen: Path,
    icons: Path,
    desktop_file: Path,
    version: str,
    architecture: str,
    output: Path,
    wheelhouse: Path | None = None,
) -> Path:
    """`output`, built from a fresh staging folder next to it."""
    staging = output.with_suffix(".staging")
    if staging.exists():
        shutil.rmtree(staging)  # ours: made by the last build
    opt = staging / PREFIX
    shutil.copytree(frozen, opt, symlinks=True)
    if wheelhouse is not None:
        shutil.copytree(wheelhouse, opt / "wheelhouse")
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / "sparktrainer").symlink_to(f"/{PREFIX}/sparktrainer")
    applications = staging / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    entry = desktop_file.read_text(encoding="utf-8").replace(
        "Exec=sparktrainer", f"Exec=/{PREFIX}/sparktrainer"
    )
    (applications / "sparktrainer.desktop").write_text(entry, encoding="utf-8")
    hicolor = staging / "usr" / "share" / "icons" / "hicolor"
    shutil.copytree(icons, hicolor)
    scalable = hicolor / "scalable" / "apps"
    scalable.mkdir(parents=True)
    svg = frozen / "_internal" / "resources" / "icons" / "sparktrainer.svg"
    shutil.copy2(svg, scalable / "sparktrainer.svg")
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(
        control(version, architecture, _size_kib(staging), wheelhouse is not None)
    )
    for script in ("postinst", "postrm"):
        (debian / script).write_text(REFRESH)
        (debian / script).chmod(0o755)
    for path in [staging, *staging.rglob("*")]:  # dpkg wants 0755 folders, readable files
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & 0o111
        path.chmod(0o755 if executable else 0o644)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", str(staging), str(output)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(staging)
    return output

"""The installer recipes, checked here where they cannot all run: the desktop entry with
desktop-file-validate, the PyInstaller recipe's rules, the Inno Setup script's paths
against what build.py produces, the workflow against GitHub's schema, and a real .deb
assembled from a stand-in frozen folder and read back with dpkg-deb."""

from __future__ import annotations

import configparser
import importlib.util
import ntpath
import re
import shutil
import subprocess
import sys
from pathlib import Path, PureWindowsPath
from types import ModuleType

import pytest
import yaml

from app import APP_ID
from tests.conftest import ROOT

PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))

import layout  # noqa: E402
import packaging_rules  # noqa: E402


def _load(name: str, path: Path) -> ModuleType:
    """packaging/build.py under its own name: `build` is also PyPI's build tool."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("sparktrainer_build", PACKAGING / "build.py")

DESKTOP = ROOT / "resources" / "sparktrainer.desktop"


def _entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_is_valid_and_matches_the_window() -> None:
    tool = shutil.which("desktop-file-validate")
    assert tool, "desktop-file-validate is missing: .ci/run installs desktop-file-utils"
    done = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    entry = _entry()
    assert entry["StartupWMClass"] == APP_ID and entry["Icon"] == APP_ID
    assert entry["Exec"] == "sparktrainer"  # no %F: the app takes no file arguments


def test_the_window_class_is_the_desktop_entry_s() -> None:
    """X11's WM_CLASS is argv[0]'s name, Wayland's app id the desktop file name: both are
    sparktrainer however the app was started (here: python -c)."""
    code = (
        "from views.application import ensure_application; app = ensure_application(); "
        "print(app.arguments()[0], app.desktopFileName())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.split() == [APP_ID, APP_ID]


def test_the_frozen_build_carries_migrations_icons_and_no_engine_library() -> None:
    found = {
        Path(source).relative_to(ROOT).as_posix() for source, _ in packaging_rules.data_files(ROOT)
    }
    versions = sorted((ROOT / "app" / "db" / "migrations" / "versions").glob("0*.py"))
    assert versions and {v.relative_to(ROOT).as_posix() for v in versions} <= found
    assert "app/db/migrations/env.py" in found and "app/db/migrations/script.py.mako" in found
    assert "resources/icons/sparktrainer.svg" in found and "resources/sparktrainer.desktop" in found
    for source, folder in packaging_rules.data_files(ROOT):
        assert Path(source).relative_to(ROOT).parent.as_posix() == folder
    # What the GUI may never import (pyproject's import-linter contract) stays out.
    assert {"torch", "transformers", "peft", "safetensors", "accelerate"} <= set(
        packaging_rules.ENGINE_ONLY
    )


def test_the_pyinstaller_recipe_compiles_and_uses_the_rules() -> None:
    text = (PACKAGING / "sparktrainer.spec").read_text()
    compile(text, "sparktrainer.spec", "exec")
    assert "excludes=list(ENGINE_ONLY)" in text and "data_files(ROOT)" in text
    assert 'name="sparktrainer"' in text  # COLLECT: layout.APP_FOLDER
    assert layout.APP_FOLDER == "sparktrainer"
    assert 'executable("SparkTrainer", False)' in text  # the Inno script's program
    assert '"sparktrainer-cli", True' in text


def _inno_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    return sections


def _resolve(script_folder: Path, windows_path: str) -> Path:
    relative = PureWindowsPath(windows_path.split("*")[0].rstrip("\\"))
    return (script_folder / Path(*relative.parts)).resolve()


def test_the_inno_setup_script_points_where_build_py_writes() -> None:
    script = PACKAGING / "windows" / "sparktrainer.iss"
    sections = _inno_sections(script.read_text())
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    folder = script.parent
    assert _resolve(folder, setup["OutputDir"]) == layout.DIST
    assert _resolve(folder, setup["SetupIconFile"]) == layout.ICONS / "sparktrainer.ico"
    sources = [re.search(r'Source: "([^"]+)"', line).group(1) for line in sections["Files"]]  # type: ignore[union-attr]
    assert [_resolve(folder, s) for s in sources] == [
        layout.frozen_folder("windows"),
        layout.wheelhouse_folder("windows"),
    ]
    assert setup["ChangesEnvironment"] == "no" and "Registry" not in sections  # no PATH edits
    assert setup["PrivilegesRequired"] == "lowest"
    icons = " ".join(sections["Icons"])
    assert "{autoprograms}\\SparkTrainer" in icons and "{app}\\SparkTrainer.exe" in icons
    assert ntpath.basename(setup["UninstallDisplayIcon"]) == "SparkTrainer.exe"


def test_the_workflow_is_valid_and_builds_every_target() -> None:
    workflow = ROOT / ".github" / "workflows" / "installers.yml"
    checker = shutil.which("check-jsonschema")
    assert checker, "check-jsonschema is a dev dependency (pyproject)"
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    targets = {item["target"] for item in jobs["build"]["strategy"]["matrix"]["include"]}
    assert targets | {"wheel"} == set(build.BUILDERS)
    runs = [step.get("run", "") for job in jobs.values() for step in job["steps"]]
    assert "python packaging/build.py ${{ matrix.target }}" in runs
    assert "python packaging/build.py wheel" in runs
    installs = " ".join(r for r in runs if "pip install torch" in r)
    assert installs and "torch==2.13.0" in installs  # never an unpinned CUDA download


def test_the_dmg_script_is_valid_shell() -> None:
    done = subprocess.run(["bash", "-n", str(PACKAGING / "macos" / "make_dmg.sh")])
    assert done.returncode == 0


def test_icons_are_rendered_at_every_size(qapp, tmp_path: Path) -> None:
    from icons import SIZES, render_pngs, write_ico
    from PySide6.QtGui import QImage

    pngs = render_pngs(tmp_path / "hicolor")
    for size in SIZES:
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "sparktrainer.png"))
        assert (image.width(), image.height()) == (size, size)
    ico = write_ico(pngs, tmp_path / "sparktrainer.ico")
    assert ico.read_bytes()[:4] == b"\x00\x00\x01\x00"


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb is Debian's; the CI is Debian")
def test_the_deb_installs_under_opt_with_a_menu_entry_and_keeps_no_user_files(
    qapp, tmp_path: Path
) -> None:
    from icons import render_pngs
    from linux.deb import build_deb

    frozen = tmp_path / "frozen"
    (frozen / "_internal" / "resources" / "icons").mkdir(parents=True)
    (frozen / "sparktrainer").write_text("#!/bin/sh\n")
    (frozen / "sparktrainer").chmod(0o755)
    shutil.copy(
        ROOT / "resources" / "icons" / "sparktrainer.svg",
        frozen / "_internal" / "resources" / "icons",
    )
    render_pngs(tmp_path / "hicolor")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "wheelhouse.json").write_text("{}")
    deb = build_deb(
        frozen, tmp_path / "hicolor", DESKTOP, "0.1.0", "amd64", tmp_path / "x.deb", wheels
    )
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    assert "./opt/sparktrainer/sparktrainer" in listing
    assert "./opt/sparktrainer/wheelhouse/wheelhouse.json" in listing
    assert "./usr/bin/sparktrainer -> /opt/sparktrainer/sparktrainer" in listing
    assert "./usr/share/icons/hicolor/256x256/apps/sparktrainer.png" in listing
    assert "./usr/share/icons/hicolor/scalable/apps/sparktrainer.svg" in listing
    assert "root/root" in listing and "/home" not in listing
    info = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: sparktrainer" in info and "libxcb-cursor0" in info
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(unpacked)], check=True)
    entry = unpacked / "usr" / "share" / "applications" / "sparktrainer.desktop"
    assert "Exec=/opt/sparktrainer/sparktrainer" in entry.read_text()
    assert subprocess.run(["desktop-file-validate", str(entry)]).returncode == 0
    for script in ("postinst", "postrm"):
        text = (unpacked / "DEBIAN" / script).read_text()
        assert "rm " not in text and "HOME" not in text  # removal never reaches user data

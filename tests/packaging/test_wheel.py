"""The wheel and sdist carry what an installed SparkTrainer reads as files (migrations,
icons, the desktop entry) and the `sparktrainer` entry point; an installed wheel runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def test_the_wheel_carries_migrations_icons_and_the_entry_point(dist: Path) -> None:
    (wheel,) = dist.glob("sparktrainer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    ours = {name.removeprefix("sparktrainer/") for name in names}
    versions = sorted(p.name for p in (ROOT / "app/db/migrations/versions").glob("0*.py"))
    assert {f"app/db/migrations/versions/{v}" for v in versions} <= ours
    assert {"app/db/migrations/env.py", "app/db/migrations/script.py.mako"} <= ours
    icons = {f"resources/icons/{p.name}" for p in (ROOT / "resources/icons").glob("*.svg")}
    assert icons <= ours and "resources/sparktrainer.desktop" in ours
    assert "main.py" in ours and "engine/runtime_site.py" in ours
    # One folder at the top of site-packages: nothing named app, engine or main there.
    assert {name.split("/")[0] for name in names if not name.startswith("sparktrainer-")} == {
        "sparktrainer"
    }
    assert not any(name.startswith(("tests/", "packaging/", "setup.py")) for name in ours)
    # Every package of the checkout is in it (setup.py finds them; none is forgotten).
    for folder in ("app", "views", "engine", "resources"):
        for init in (ROOT / folder).rglob("__init__.py"):
            assert str(init.relative_to(ROOT)) in ours
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    entry = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "sparktrainer = sparktrainer.main:main" in entry


def test_the_sdist_carries_the_same_files(dist: Path) -> None:
    (sdist,) = dist.glob("sparktrainer-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert "app/db/migrations/script.py.mako" in names
    assert "resources/icons/sparktrainer.svg" in names and "pyproject.toml" in names


@pytest.mark.slow
def test_an_installed_wheel_passes_the_smoke_test_away_from_the_tree(
    dist: Path, tmp_path: Path
) -> None:
    """A venv that sees this environment's libraries (torch, Qt: no download here) but gets
    SparkTrainer only from the wheel; it runs from a folder that is not the source tree.
    (`python packaging/build.py wheel` does the same in a venv with nothing in it.)"""
    (wheel,) = dist.glob("sparktrainer-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
    )
    # As the entry point does: main.py puts its own folder first, then the code's names.
    script = "import sparktrainer.main, app, resources; print(app.__file__, resources.ROOT)"
    where = subprocess.run(
        [str(python), "-I", "-c", script],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    installed = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert str(installed / "site-packages" / "sparktrainer" / "app") in where.stdout
    assert str(ROOT) not in where.stdout
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SPARKTRAINER_HOME": str(tmp_path / "d")}
    smoke = subprocess.run(
        [str(venv / "bin" / "sparktrainer"), "--smoke-test"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240,
    )  # fmt: skip
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "database: ok" in smoke.stdout and "panes visited" in smoke.stdout

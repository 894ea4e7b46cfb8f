"""Which build is chosen, how engines find the runtime, and what happens without one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import UserError
from app.runtime import location as location_module
from app.runtime.resolve import _failure
from app.runtime.variants import TORCH_VERSION, Variant, choose_variant
from tests.conftest import ROOT, run_main


@pytest.mark.parametrize(
    ("cuda", "expected"),
    [(None, "cpu"), ("12.2", "cpu"), ("12.6", "cu126"), ("12.7", "cu126"), ("12.8", "cu128"),
     ("13.0", "cu128")],
)  # fmt: skip
def test_the_newest_cuda_build_the_driver_supports_is_chosen(
    cuda: str | None, expected: str
) -> None:
    variant = choose_variant(cuda, "550.54", system="Linux")
    assert variant.name == expected
    if cuda == "12.2":
        assert "update the driver" in variant.reason


def test_each_build_pins_the_tested_torch_and_its_index() -> None:
    cu = Variant("cu128", "")
    assert cu.requirements[0] == f"torch=={TORCH_VERSION}+cu128"
    assert cu.index_urls == ["https://download.pytorch.org/whl/cu128"]
    mac = choose_variant(None, system="Darwin")
    assert mac.name == "default" and mac.requirements[0] == f"torch=={TORCH_VERSION}"
    assert mac.index_urls == []


def test_the_runtime_pins_what_pyproject_allows() -> None:
    """One torch for the README, .ci/run and the runtime; the libraries' ranges as pyproject's."""
    import tomllib

    from app.runtime.variants import LIBRARIES

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for library in LIBRARIES:
        assert library in dependencies
    assert f"torch=={TORCH_VERSION}" in (ROOT / "README.md").read_text()


def test_pip_failures_are_told_apart() -> None:
    offline = _failure(
        "WARNING: Retrying ... NewConnectionError('<...>: Failed to establish a new connection')\n"
        "ERROR: Could not find a version that satisfies the requirement torch==2.13.0+cu128",
        Variant("cu128", ""),
    )
    assert "No network connection" in offline.message
    missing = _failure(
        "ERROR: Could not find a version that satisfies the requirement torch==2.13.0+cu999",
        Variant("cu999", ""),
    )
    assert "torch==2.13.0+cu999" in missing.message and "No network" not in missing.message


def _private_runtime(home: Path) -> Path:
    from app.runtime.location import MANIFEST, RuntimeLocation

    folder = RuntimeLocation(home / "runtime")
    folder.site.mkdir(parents=True)
    (folder.folder / MANIFEST).write_text(json.dumps({"torch": "2.13.0", "variant": "cpu"}))
    return folder.site


def test_engines_are_told_where_a_private_runtime_is(
    data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.jobs.engine_env import engine_environment

    assert "SPARKTRAINER_ENGINE_SITE" not in engine_environment(os.environ)
    site = _private_runtime(data_home)
    monkeypatch.setattr(location_module, "environment_torch", lambda: None)  # a frozen build
    assert engine_environment(os.environ)["SPARKTRAINER_ENGINE_SITE"] == str(site)


def test_a_job_is_refused_plainly_where_there_is_no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.runtime.service import require_runtime

    require_runtime()  # this environment has torch
    monkeypatch.setattr(location_module, "environment_torch", lambda: None)
    with pytest.raises(UserError, match="PyTorch is not installed") as raised:
        require_runtime()
    assert "runtime install" in raised.value.hint


def test_the_runtime_s_libraries_win_over_the_build_s_partial_copies(tmp_path: Path) -> None:
    """A frozen build carries part of a package (jinja2 without jinja2.meta); an engine
    must import the runtime's whole package, and the build's own packages otherwise."""
    build, runtime = tmp_path / "build", tmp_path / "runtime"
    (build / "sparkpart").mkdir(parents=True)
    (build / "sparkpart" / "__init__.py").write_text("WHERE = 'build'\n")
    (build / "sparkonly.py").write_text("WHERE = 'build'\n")
    (runtime / "sparkpart").mkdir(parents=True)
    (runtime / "sparkpart" / "__init__.py").write_text("WHERE = 'runtime'\n")
    (runtime / "sparkpart" / "meta.py").write_text("WHERE = 'runtime'\n")
    code = (
        f"import sys; sys.path.insert(0, {str(build)!r}); sys.path.insert(0, {str(ROOT)!r})\n"
        f"from engine.runtime_site import activate; activate({str(runtime)!r})\n"
        "import sparkpart, sparkpart.meta, sparkonly\n"
        "print(sparkpart.WHERE, sparkpart.meta.WHERE, sparkonly.WHERE)"
    )
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["runtime", "runtime", "build"]


def test_runtime_status_on_the_command_line() -> None:
    done = run_main("runtime", "status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["source"] == "environment" and status["torch"].startswith(TORCH_VERSION)
    assert status["wheelhouse"] is None


@pytest.mark.slow
def test_the_engine_probe_answers_what_it_imported() -> None:
    done = run_main("engine", "probe", timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["torch"].startswith(TORCH_VERSION) and answer["cuda_available"] is False


def test_versions_of_the_engine_libraries_come_from_the_private_runtime(
    data_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from app.runtime.install import install_runtime
    from app.runtime.service import runtime_location
    from app.versions import component_versions
    from tests.runtime.test_install import import_check
    from tests.runtime.wheels import make_wheel, make_wheelhouse

    folder = tmp_path / "wheelhouse"
    make_wheelhouse(
        folder, [make_wheel(folder, "torch", "2.13.0"), make_wheel(folder, "peft", "9.9")]
    )
    monkeypatch.setattr(location_module, "environment_torch", lambda: None)  # as a frozen build
    install_runtime(
        runtime_location(), Variant("cpu", ""), lambda *_: None, lambda: False, folder,
        import_check("torch"),
    )  # fmt: skip
    versions = component_versions()
    assert versions["PyTorch"] == "2.13.0" and versions["PEFT"] == "9.9"
    assert versions["Transformers"] == "not installed"  # this runtime has none

"""The command line, run as a real subprocess."""

from __future__ import annotations

import json

import pytest

from app import __version__
from tests.conftest import ROOT, run_main

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


def test_version() -> None:
    result = run_main("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"SparkTrainer {__version__}"


def test_help_lists_the_subcommands() -> None:
    result = run_main("--help")
    assert result.returncode == 0
    for command in ("info", "db", "--smoke-test", "--version", "--data-dir"):
        assert command in result.stdout


def test_smoke_test_opens_the_window_and_visits_every_pane(data_home) -> None:
    result = run_main("--smoke-test")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first_frame = next(line for line in lines if line.startswith("first frame:"))
    assert float(first_frame.split()[2]) > 0
    assert "panes visited: datasets, labeling, builder, jobs, models, hardware, settings" in lines
    assert "database: ok" in lines
    assert (data_home / "sparktrainer.db").exists()
    assert "Traceback" not in result.stderr


def test_info_reports_paths_and_versions_as_json(data_home) -> None:
    result = run_main("info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["paths"]["data"] == str(data_home)
    assert info["versions"]["SparkTrainer"] == __version__


def test_data_dir_option_overrides_the_environment(tmp_path) -> None:
    other = tmp_path / "elsewhere"
    result = run_main("--data-dir", str(other), "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (other / "sparktrainer.db").exists()
    current = run_main("--data-dir", str(other), "db", "current")
    newest = max(p.name[:4] for p in (ROOT / "app/db/migrations/versions").glob("0*.py"))
    assert current.stdout.strip() == newest


def test_unknown_command_is_a_usage_error() -> None:
    result = run_main("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr

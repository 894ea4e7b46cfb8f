"""The GUI process starts without torch, transformers or peft (DESIGN.md §1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

FORBIDDEN = ("torch", "transformers", "peft", "safetensors", "accelerate")

SCRIPT = """
import sys
from PySide6.QtCore import QTimer
import main
from app.cli import build_parser
from views import application

args = build_parser().parse_args(["--smoke-test"])
seen = {}
real_exit = application.SmokeTour._finish

def finish(self, failure=""):
    seen.update({name: name in sys.modules for name in FORBIDDEN})
    real_exit(self, failure)

application.SmokeTour._finish = finish
code = application.run_gui(args)
print("LOADED:" + ",".join(name for name, loaded in seen.items() if loaded))
print("VISITED:" + str(bool(seen)))
sys.exit(code)
"""


def test_no_torch_after_start_up_and_a_visit_to_every_pane() -> None:
    """Checks sys.modules in a fresh process after the smoke tour opened every pane."""
    result = subprocess.run(
        [sys.executable, "-c", f"FORBIDDEN = {FORBIDDEN!r}\n" + SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "VISITED:True" in result.stdout
    assert "LOADED:\n" in result.stdout, result.stdout

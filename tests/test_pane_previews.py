"""Every pane opens alone with `python -m views.<pane>` and raises nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from views.panes import PANE_KEYS

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("pane", PANE_KEYS)
def test_pane_preview_runs(pane: str, tmp_path) -> None:
    env = {**os.environ, "SPARKTRAINER_PREVIEW_SMOKE": "1", "SPARKTRAINER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", f"views.{pane}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr

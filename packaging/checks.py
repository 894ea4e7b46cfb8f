"""One check of a built app: a command run to its end, judged by its exit code, with its
time and last lines kept for the report (build.py, linux/verify.py)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any


def run_check(
    command: list[str], env: dict[str, str], cwd: Path, timeout: float = 600
) -> dict[str, Any]:
    began = time.monotonic()
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    return {
        "ok": result.returncode == 0,
        "code": result.returncode,
        "seconds": round(time.monotonic() - began, 1),
        "tail": (result.stdout + result.stderr).strip().splitlines()[-6:],
    }

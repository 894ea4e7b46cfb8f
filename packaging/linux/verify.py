"""Installs the built .deb and uses it as a person would: `--version`, the smoke test
offscreen, and a tiny training job with no network (the offline bundle's PyTorch), then
removes the package and checks the data folder is still there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from checks import run_check

INSTALLED = Path("/usr/bin/sparktrainer")
SPEC = {
    "recipe": "text_classification",
    "model": {"source": "preset", "name": "tiny-bert"},
    "dataset": {"name": "Product reviews", "version": 1},
    "hyperparameters": {"epochs": 1},
}


def _root() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def _offline() -> list[str]:
    """A network namespace with no interfaces: truly offline, where the kernel allows it."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return ["unshare", "-n"] if probe.returncode == 0 else []


def verify_deb(deb: Path) -> dict[str, Any]:
    subprocess.run([*_root(), "dpkg", "-i", str(deb)], check=True, stdout=subprocess.DEVNULL)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sparktrainer-verify-") as folder:
        work = Path(folder)
        home = work / "data"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen",
            "SPARKTRAINER_HOME": str(home),
            "HF_HUB_OFFLINE": "1",
            "PIP_NO_INDEX": "1",
        }
        results["version"] = run_check([str(INSTALLED), "--version"], env, work, 60)
        results["smoke_test"] = run_check([str(INSTALLED), "--smoke-test"], env, work, 300)
        # The online path's resolver: the bundled pip, run inside the app, with this
        # machine's pip settings (here a local mirror), resolving the CPU build of torch.
        report = work / "resolved.json"
        resolve = [
            str(INSTALLED), "runtime", "pip", "install", "--dry-run", "--ignore-installed",
            "--only-binary=:all:", "--quiet", "--report", str(report), "torch==2.13.0",
        ]  # fmt: skip
        resolve_env = {k: v for k, v in env.items() if k != "PIP_NO_INDEX"}
        results["bundled_pip_resolves"] = run_check(resolve, resolve_env, work, 600)
        if results["bundled_pip_resolves"]["ok"]:
            names = [i["metadata"]["name"] for i in json.loads(report.read_text())["install"]]
            results["bundled_pip_resolves"]["ok"] = "torch" in names
            results["bundled_pip_resolves"]["tail"] = [f"resolved {len(names)} wheels"]
        offline = _offline()
        results["offline"] = "network namespace (unshare -n)" if offline else "HF_HUB_OFFLINE"
        steps = {
            "runtime_install": [str(INSTALLED), "runtime", "install"],
            "dataset": [str(INSTALLED), "dataset", "sample", "reviews"],
        }
        for name, command in steps.items():
            results[name] = run_check([*offline, *command], env, work, 900)
        spec = work / "spec.json"
        spec.write_text(json.dumps(SPEC))
        job = [*offline, str(INSTALLED), "job", "submit", str(spec), "--wait"]
        results["engine_job"] = run_check(job, env, work, 900)
        subprocess.run([*_root(), "dpkg", "-r", "sparktrainer"], check=True, capture_output=True)
        results["uninstall_keeps_data"] = {
            "ok": not Path("/opt/sparktrainer").exists() and (home / "sparktrainer.db").is_file(),
            "tail": [f"/opt/sparktrainer removed; {home} kept"],
        }
        shutil.rmtree(home, ignore_errors=True)
    return results

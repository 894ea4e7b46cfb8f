"""What to download: pip resolves the requirements (with the person's own pip settings:
index, proxy, certificates) and reports the files, and nothing is installed by pip.

pip is the only resolver that knows every marker and wheel tag; we do the download and
unpacking ourselves to show progress, resume, verify hashes and cancel cleanly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from app.errors import UserError
from app.launch import child_environment, frozen, self_command
from app.runtime.variants import Variant

OFFLINE_SIGNS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "No route to host",
    "ProxyError",
    "Max retries exceeded",
    "Read timed out",
)


class Cancelled(Exception):  # noqa: N818 - reads as what happened
    """The person cancelled; what was downloaded is kept for the next try."""


class Offline(UserError):  # noqa: N818 - reads as what happened
    """No network (or no index): said plainly, with what to do instead."""


def offline_error(detail: str) -> Offline:
    return Offline(
        f"No network connection: PyTorch could not be downloaded ({detail}).",
        "Connect to the internet and try again, or install SparkTrainer's offline "
        "bundle, which carries PyTorch. Training needs PyTorch; everything else works.",
    )


@dataclass(frozen=True)
class Artifact:
    name: str
    version: str
    url: str
    sha256: str | None = None
    size: int | None = None

    @property
    def filename(self) -> str:
        return unquote(Path(urlparse(self.url).path).name)

    @property
    def local_path(self) -> Path | None:
        parsed = urlparse(self.url)
        return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def pip_command(*arguments: str) -> list[str]:
    """pip of this install: the bundled copy runs inside the frozen app (main.py)."""
    if frozen():
        return self_command("runtime", "pip", *arguments)
    return [sys.executable, "-m", "pip", *arguments]


def resolve_command(variant: Variant, report: Path) -> list[str]:
    extra: list[str] = []
    for url in variant.index_urls:
        extra += ["--extra-index-url", url]
    return pip_command(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--retries",
        "1",
        "--timeout",
        "20",
        "--report",
        str(report),
        *extra,
        *variant.requirements,
    )


def artifacts_of(report: dict[str, Any]) -> list[Artifact]:
    found = []
    for item in report.get("install", []):
        info = item.get("download_info", {})
        hashes = info.get("archive_info", {}).get("hashes", {})
        metadata = item.get("metadata", {})
        found.append(
            Artifact(
                str(metadata.get("name")),
                str(metadata.get("version")),
                str(info.get("url")),
                hashes.get("sha256"),
            )
        )
    return found


def resolve(variant: Variant, cancelled: Callable[[], bool]) -> list[Artifact]:
    """The wheels to install, in pip's order; raises Offline, UserError or Cancelled."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        errors = Path(folder) / "pip.log"
        with (
            errors.open("wb") as log,
            subprocess.Popen(
                resolve_command(variant, report),
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, **child_environment()},
            ) as process,
        ):
            while process.poll() is None:
                if cancelled():
                    process.terminate()
                    process.wait()
                    raise Cancelled
                time.sleep(0.1)
        detail = errors.read_text("utf-8", "replace")
        if process.returncode != 0 or not report.is_file():
            raise _failure(detail, variant)
        return artifacts_of(json.loads(report.read_text(encoding="utf-8")))


def _failure(detail: str, variant: Variant) -> UserError:
    if any(sign in detail for sign in OFFLINE_SIGNS):
        return offline_error("the package index could not be reached")
    lines = [line.strip() for line in detail.splitlines() if line.strip().startswith("ERROR")]
    reason = lines[0].removeprefix("ERROR:").strip() if lines else detail.strip()[-300:]
    return UserError(
        f"pip could not find the PyTorch {variant.name} build for this machine: {reason}",
        "Check the network and pip's settings (index, proxy), or choose another build.",
    )

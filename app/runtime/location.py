"""Where the private runtime lives and whether a usable one is there.

A runtime counts only once its manifest is written, which is the installer's last step
(after the folder was moved into place), so a killed install is never half-used.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from app.launch import frozen
from engine.runtime_site import SITE_ENV as SITE_ENV

MANIFEST = "runtime.json"
WHEELHOUSE = "wheelhouse"
"""The offline bundle's folder of wheels, beside the executable."""
WHEELHOUSE_MANIFEST = "wheelhouse.json"


def runtime_tag() -> str:
    """Wheels fit one Python and one platform: a runtime is kept per pair."""
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"cp{sys.version_info.major}{sys.version_info.minor}-{platform}"


@dataclass(frozen=True)
class RuntimeLocation:
    root: Path
    """`<data>/runtime`: every runtime and the download cache."""

    @property
    def folder(self) -> Path:
        return self.root / runtime_tag()

    @property
    def site(self) -> Path:
        return self.folder / "site-packages"

    @property
    def manifest(self) -> Path:
        return self.folder / MANIFEST

    @property
    def staging(self) -> Path:
        """Built here, then renamed to `folder`: ours, and removed when a new install starts."""
        return self.root / f"{runtime_tag()}.partial"

    @property
    def downloads(self) -> Path:
        """Verified wheels and partial downloads, kept so a cancelled install resumes."""
        return self.root / "downloads"


@dataclass(frozen=True)
class RuntimeStatus:
    source: Literal["environment", "private", "missing"]
    torch_version: str | None = None
    variant: str | None = None
    site: Path | None = None

    @property
    def ready(self) -> bool:
        return self.source != "missing"

    def describe(self) -> str:
        if self.source == "environment":
            return f"PyTorch {self.torch_version} from this Python environment"
        if self.source == "private":
            return f"PyTorch {self.torch_version} ({self.variant}), installed in {self.site}"
        return "PyTorch is not installed: training needs it"


def read_manifest(location: RuntimeLocation) -> dict[str, Any] | None:
    try:
        manifest = json.loads(location.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def environment_torch() -> str | None:
    """The version of torch this Python could import, found without importing it."""
    if frozen():  # a frozen build carries none, whatever the build machine had
        return None
    if importlib.util.find_spec("torch") is None:
        return None
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def runtime_status(location: RuntimeLocation, environment: str | None = None) -> RuntimeStatus:
    """The environment's own torch first (a pip install or a source tree), then ours."""
    version = environment_torch() if environment is None else environment or None
    if version is not None:
        return RuntimeStatus("environment", version)
    manifest = read_manifest(location)
    if manifest is not None and location.site.is_dir():
        return RuntimeStatus(
            "private", str(manifest.get("torch")), str(manifest.get("variant")), location.site
        )
    return RuntimeStatus("missing")


def bundled_wheelhouse() -> Path | None:
    """The offline bundle's wheels, when this build carries them."""
    folder = Path(sys.executable).resolve().parent / WHEELHOUSE
    return folder if frozen() and (folder / WHEELHOUSE_MANIFEST).is_file() else None

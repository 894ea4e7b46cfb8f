"""The offline bundle's wheelhouse: the CPU build of torch and everything the engine
imports, downloaded by pip for this Python and platform, with a manifest of hashes that
the app's runtime installer checks (app/runtime/install.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.runtime.download import sha256_of
from app.runtime.location import WHEELHOUSE_MANIFEST, runtime_tag
from app.runtime.variants import Variant


def _name_and_version(wheel: Path) -> tuple[str, str]:
    name, version = wheel.name.split("-")[:2]
    return name.replace("_", "-").lower(), version


def build_wheelhouse(folder: Path, variant_name: str = "cpu") -> Path:
    """Download the wheels (pip keeps ones already there) and write the manifest."""
    variant = Variant(variant_name, "the offline bundle")
    folder.mkdir(parents=True, exist_ok=True)
    extra: list[str] = []
    for url in variant.index_urls:
        extra += ["--extra-index-url", url]
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--only-binary=:all:",
            "--disable-pip-version-check", "--retries", "1", "--timeout", "15",
            "--dest", str(folder), *extra, *variant.requirements,
        ],
        check=True,
    )  # fmt: skip
    wheels = sorted(folder.glob("*.whl"))
    manifest = {
        "variant": variant_name,
        "python": runtime_tag(),
        "requirements": variant.requirements,
        "wheels": [
            {
                "file": wheel.name,
                "name": _name_and_version(wheel)[0],
                "version": _name_and_version(wheel)[1],
                "sha256": sha256_of(wheel),
                "size": wheel.stat().st_size,
            }
            for wheel in wheels
        ],
    }
    (folder / WHEELHOUSE_MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder

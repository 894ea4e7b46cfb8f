"""Installing the private runtime: resolve (or read the offline wheelhouse), download,
unpack into a staging folder, check that torch imports there, move it into place, then
write the manifest. Every step before the manifest can be killed or cancelled: the next
install removes the staging folder (ours) and reuses the verified downloads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.launch import child_environment, self_command
from app.runtime.download import discard, fetch
from app.runtime.location import (
    MANIFEST,
    SITE_ENV,
    WHEELHOUSE_MANIFEST,
    RuntimeLocation,
    RuntimeStatus,
    read_manifest,
    runtime_tag,
)
from app.runtime.resolve import Artifact, Cancelled, resolve
from app.runtime.variants import Variant
from app.runtime.wheels import member_count, unpack
from app.units import human_bytes

Progress = Callable[[str, int, int], None]
"""Phase (said in words), done, total (0: unknown)."""
Check = Callable[[Path], dict[str, Any]]
FETCHING = ("Downloading", "Checking")
"""The verbs of the per-wheel phases, whose amounts are bytes (`progress_amount`)."""
SPACE_FACTOR = 3
"""Wheels unpack to about three times their size (torch: 200 MB → 700 MB)."""


def wheelhouse_artifacts(folder: Path) -> tuple[str, list[Artifact]]:
    """The offline bundle's variant and wheels, as its build wrote them."""
    manifest_file = folder / WHEELHOUSE_MANIFEST
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        wheels = manifest["wheels"]
        variant = str(manifest["variant"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{manifest_file}: not a wheelhouse manifest ({error}).") from None
    if manifest.get("python") != runtime_tag():
        raise UserError(
            f"{manifest_file}: its wheels are for {manifest.get('python')}, this app runs "
            f"{runtime_tag()}; use the offline bundle built for this platform."
        )
    return variant, [
        Artifact(w["name"], w["version"], (folder / w["file"]).resolve().as_uri(), w["sha256"])
        for w in wheels
    ]


def probe(site: Path) -> dict[str, Any]:
    """Import the engine's libraries from `site` in an engine process: a runtime that
    cannot train is never marked installed."""
    result = subprocess.run(
        self_command("engine", "probe"),
        env={**os.environ, **child_environment(), SITE_ENV: str(site)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"The installed PyTorch does not start: {detail}")
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def progress_amount(phase: str, done: int, total: int) -> str:
    """How much of a phase is done, in words, for the dialog and the terminal alike."""
    if phase.startswith(FETCHING):  # "Checking that PyTorch starts" has no total to show
        return f"{human_bytes(done)} of {human_bytes(total)}"
    return f"{done:,} of {total:,} files"


def _phase(progress: Progress, phase: str) -> Callable[[int, int], None]:
    return lambda done, total: progress(phase, done, total)


def _check_space(root: Path, wheels: list[Path]) -> None:
    needed = SPACE_FACTOR * sum(wheel.stat().st_size for wheel in wheels)
    free = shutil.disk_usage(root).free
    if free < needed:
        raise UserError(
            f"Not enough disk space in {root}: PyTorch needs about {needed / 1e9:.1f} GB, "
            f"{free / 1e9:.1f} GB are free.",
            "Free some space, or move the data folder (--data-dir) to a larger disk.",
        )


def _clear_leftovers(location: RuntimeLocation) -> None:
    """A staging folder, or a runtime folder without its manifest, is an install of ours
    that was interrupted."""
    shutil.rmtree(location.staging, ignore_errors=True)
    shutil.rmtree(location.root / f"{runtime_tag()}.old", ignore_errors=True)
    if location.folder.exists() and read_manifest(location) is None:
        shutil.rmtree(location.folder)


def install_runtime(
    location: RuntimeLocation,
    variant: Variant,
    progress: Progress,
    cancelled: Callable[[], bool],
    wheelhouse: Path | None = None,
    check: Check = probe,
) -> RuntimeStatus:
    location.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    _clear_leftovers(location)
    if wheelhouse is not None:
        variant_name, artifacts = wheelhouse_artifacts(wheelhouse)
    else:
        progress(f"Finding the PyTorch {variant.name} build", 0, 0)
        variant_name, artifacts = variant.name, resolve(variant, cancelled)
    wheels = []
    for number, artifact in enumerate(artifacts, 1):
        verb = FETCHING[1] if artifact.local_path else FETCHING[0]
        phase = f"{verb} {number} of {len(artifacts)}: {artifact.filename}"
        wheels.append(fetch(artifact, location.downloads, _phase(progress, phase), cancelled))
    _check_space(location.root, wheels)
    site = location.staging / "site-packages"
    site.mkdir(parents=True)
    total, done = sum(member_count(wheel) for wheel in wheels), 0
    last = 0.0

    def counted() -> None:
        nonlocal done, last
        done += 1
        now = time.monotonic()
        if now - last > 0.25 or done == total:
            last = now
            if cancelled():
                raise Cancelled
            progress("Installing", done, total)

    for wheel in wheels:
        unpack(wheel, site, counted)
    progress("Checking that PyTorch starts", 0, 0)
    found = check(site)
    if cancelled():
        raise Cancelled
    old = location.root / f"{runtime_tag()}.old"
    if location.folder.exists():  # a reinstall: the old runtime stops counting first
        location.manifest.unlink(missing_ok=True)
        os.replace(location.folder, old)
    os.replace(location.staging, location.folder)
    manifest = {
        "torch": found.get("torch"),
        "cuda": found.get("cuda"),
        "variant": variant_name,
        "python": runtime_tag(),
        "wheels": [a.filename for a in artifacts],
        "installed": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    temporary = location.folder / f"{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(temporary, location.manifest)
    shutil.rmtree(old, ignore_errors=True)  # engines still running keep their open files
    discard(location.downloads)
    return RuntimeStatus("private", str(manifest["torch"]), variant_name, location.site)


def remove_runtime(location: RuntimeLocation) -> bool:
    """The private runtime and its downloads (all ours); False when there was none."""
    existed = location.folder.exists() or location.staging.exists()
    if location.manifest.exists():
        location.manifest.unlink()  # first: a half-removed runtime is never used
    shutil.rmtree(location.folder, ignore_errors=True)
    shutil.rmtree(location.staging, ignore_errors=True)
    discard(location.downloads)
    return existed

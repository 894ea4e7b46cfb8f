"""Small real wheels (zip files in the wheel format) and a wheelhouse of them, for the
runtime installer's tests: what pip downloads, minus the size."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from app.runtime.location import WHEELHOUSE_MANIFEST, runtime_tag


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    files: dict[str, str] | None = None,
    executable: tuple[str, ...] = (),
) -> Path:
    """`name-version-py3-none-any.whl` with a package `name` (or the given members)."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    members = files or {f"{name}/__init__.py": f"VERSION = {version!r}\n"}
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as bundle:
        for member, text in members.items():
            entry = zipfile.ZipInfo(member)
            entry.external_attr = (0o755 if member in executable else 0o644) << 16
            bundle.writestr(entry, text)
        bundle.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        bundle.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        bundle.writestr(f"{info}/RECORD", "")
    return wheel


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_wheelhouse(folder: Path, wheels: list[Path], variant: str = "cpu") -> Path:
    manifest = {
        "variant": variant,
        "python": runtime_tag(),
        "wheels": [
            {
                "file": w.name,
                "name": w.name.split("-")[0],
                "version": w.name.split("-")[1],
                "sha256": sha256(w),
                "size": w.stat().st_size,
            }
            for w in wheels
        ],
    }
    (folder / WHEELHOUSE_MANIFEST).write_text(json.dumps(manifest))
    return folder

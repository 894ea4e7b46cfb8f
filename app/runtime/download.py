"""Downloading one wheel: resumable (HTTP Range into a `.part` file), cancellable
between chunks, verified against the index's sha256 before it is used."""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from app.errors import UserError
from app.runtime.resolve import Artifact, Cancelled, offline_error

CHUNK = 1 << 20
TIMEOUT_S = 30
Progress = Callable[[int, int], None]
"""Bytes done, bytes in all (0 while unknown)."""


def sha256_of(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    size, done = path.stat().st_size, 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, size)
    return digest.hexdigest()


def _verify(artifact: Artifact, path: Path, progress: Progress) -> bool:
    return artifact.sha256 is None or sha256_of(path, progress) == artifact.sha256


def fetch(
    artifact: Artifact, folder: Path, progress: Progress, cancelled: Callable[[], bool]
) -> Path:
    """The wheel on disk, verified: a local file is used where it lies, never copied."""
    local = artifact.local_path
    if local is not None:
        if not local.is_file():
            raise UserError(f"{local}: the wheel is missing (the offline bundle is incomplete).")
        if not _verify(artifact, local, progress):
            raise UserError(f"{local}: its sha256 does not match; the file is damaged.")
        return local
    target = folder / artifact.filename
    if target.is_file() and _verify(artifact, target, progress):
        return target
    part = target.with_name(target.name + ".part")
    folder.mkdir(parents=True, exist_ok=True)
    _download(artifact.url, part, progress, cancelled)
    if not _verify(artifact, part, progress):
        part.unlink()
        raise UserError(
            f"{artifact.filename}: the download is damaged (sha256 differs); try again."
        )
    os.replace(part, target)
    return target


def _download(url: str, part: Path, progress: Progress, cancelled: Callable[[], bool]) -> None:
    start = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            resumed = start and response.status == 206
            length = int(response.headers.get("Content-Length") or 0)
            done = start if resumed else 0
            total = done + length if length else 0
            with part.open("ab" if resumed else "wb") as file:
                while chunk := response.read(CHUNK):
                    if cancelled():
                        raise Cancelled
                    file.write(chunk)
                    done += len(chunk)
                    progress(done, total)
    except urllib.error.HTTPError as error:
        if error.code == 416:  # the .part is complete already
            return
        raise UserError(f"{url}: the server answered {error.code} {error.reason}.") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise offline_error(f"{urllib.parse.urlparse(url).netloc}: {reason}") from None


def discard(folder: Path) -> None:
    """The download cache, once the runtime it fed is installed."""
    shutil.rmtree(folder, ignore_errors=True)

"""What a file really is: its extension checked against its first bytes, and its encoding.

A file whose content does not match its name is refused with the reason, so a
binary blob renamed `.csv` never becomes a dataset of garbage.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from app.errors import UserError
from engine.data_files import Encoding, detect_encoding

__all__ = ["Encoding", "archive_kind", "detect_encoding", "image_signature", "kind_of"]

HEAD_BYTES = 65_536
TABULAR_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".txt": "text",
}
IMAGE_SUFFIXES = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp", ".bmp": "bmp"}
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
TEXT_KINDS = {"csv", "tsv", "json", "jsonl", "text"}


def archive_kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith(ARCHIVE_SUFFIXES):
        return "tar"
    return None


def kind_of(path: Path) -> str:
    """csv | tsv | json | jsonl | parquet | text | image | zip | tar | folder; checked."""
    if path.is_dir():
        return "folder"
    if not path.is_file():
        raise UserError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise UserError(f"{path} is empty (0 bytes).")
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    archive = archive_kind(path)
    if archive == "zip":
        _expect(path, head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"), "a zip")
        return "zip"
    if archive == "tar":
        compressed = head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00"
        _expect(path, compressed or head[257:262] == b"ustar", "a tar archive")
        return "tar"
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        _expect(path, image_signature(head) == IMAGE_SUFFIXES[suffix], f"a {suffix[1:]} image")
        return "image"
    kind = TABULAR_SUFFIXES.get(suffix)
    if kind is None:
        raise UserError(
            f"{path.name}: SparkTrainer cannot import {suffix or 'files without an extension'}.",
            "Import CSV, TSV, JSON, JSONL, Parquet, text, images, or a zip or tar of them.",
        )
    if kind == "parquet":
        _expect(path, head.startswith(b"PAR1"), "a Parquet file")
        return kind
    if _looks_binary(head):
        raise UserError(
            f"{path.name}: the content is binary, not {kind.upper()} text.",
            "Check that the file is what its name says.",
        )
    return kind


def _expect(path: Path, ok: bool, what: str) -> None:
    if not ok:
        raise UserError(
            f"{path.name}: the content is not {what}, although the name says so.",
            "The file may be damaged or renamed; check where it came from.",
        )


def image_signature(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    return None


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False  # UTF-16 text is full of NULs
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.05

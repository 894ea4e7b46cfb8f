"""Turning a dropped file, folder or archive into the files of a first version.

Everything is written under a temporary folder the caller owns; this module
never touches the database or the final location (see store.py).
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from app.datasets import archives
from app.datasets.read_result import listed
from app.datasets.readers import read_table
from app.datasets.sniff import IMAGE_SUFFIXES, TABULAR_SUFFIXES, image_signature, kind_of
from app.errors import UserError
from app.tasks import TaskState
from engine.text_encoding import read_text

DATA_FILE = "data.parquet"
IMAGES_DIR = "images"
ROW_GROUP_ROWS = 65_536
"""Small enough that the preview reads one group per page, big enough to stay fast."""


@dataclass
class Materialized:
    kind: str
    """table | images."""
    table: pa.Table
    notes: list[str] = field(default_factory=list)


def source_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def materialize(
    source: Path,
    version_dir: Path,
    scratch: Path,
    state: TaskState | None = None,
    *,
    skip_bad_lines: bool = False,
    strict_images: bool = False,
) -> Materialized:
    """Read `source` into `version_dir` (images copied there); return the table to store.

    An image that cannot be used is skipped and named in the notes, unless
    `strict_images` refuses the whole import for it."""
    kind = kind_of(source)
    total = source_size(source)
    if kind in ("zip", "tar"):
        extracted = scratch / "extracted"
        extracted.mkdir(parents=True)
        archives.extract(source, kind, extracted, state)
        entries = [p for p in extracted.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        if not entries:
            raise UserError(f"{source.name}: the archive is empty.")
        inner = entries[0] if len(entries) == 1 else extracted
        result = materialize(
            inner,
            version_dir,
            scratch / "inner",
            state,
            skip_bad_lines=skip_bad_lines,
            strict_images=strict_images,
        )
        result.notes.insert(0, f"Extracted from {source.name}.")
        return result
    if kind == "image":
        raise UserError(
            f"{source.name} is a single image.",
            "Import a folder of images (a sub-folder per class gives the label), or a zip of one.",
        )
    if kind == "folder":
        return _folder(source, version_dir, scratch, state, total, skip_bad_lines, strict_images)
    read = read_table(source, kind, scratch, state, skip_bad_lines=skip_bad_lines, total=total)
    return Materialized("table", read.table, read.notes)


def _folder(
    folder: Path,
    version_dir: Path,
    scratch: Path,
    state: TaskState | None,
    total: int,
    skip_bad_lines: bool,
    strict_images: bool,
) -> Materialized:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    if links:
        raise UserError(
            f"{links[0]}: a symbolic link; refused.",
            "Links can point outside the dataset; copy the files themselves into the folder.",
        )
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if images:
        others = [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]
        return _image_folder(folder, images, others, version_dir, state, strict_images)
    texts = [p for p in files if p.suffix.lower() == ".txt"]
    tabular = [p for p in files if TABULAR_SUFFIXES.get(p.suffix.lower()) not in (None, "text")]
    if tabular:
        tables, notes, offset = [], [], 0
        for path in tabular:
            result = read_table(
                path,
                kind_of(path),
                scratch,
                state,
                skip_bad_lines=skip_bad_lines,
                offset=offset,
                total=total,
            )
            offset += path.stat().st_size
            tables.append(result.table)
            notes += result.notes
        try:
            table = pa.concat_tables(tables, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise UserError(
                f"{folder.name}: its files have different columns or types ({error})."
            ) from None
        return Materialized("table", table, [f"{len(tabular)} files combined.", *notes])
    if texts:
        return _text_files(folder, texts, state, total)
    raise UserError(
        f"{folder.name}: found nothing to import.",
        "A folder may hold data files (CSV, JSONL, Parquet, …), text files, or images.",
    )


def _text_files(
    folder: Path, texts: list[Path], state: TaskState | None, total: int
) -> Materialized:
    rows, notes, done = [], [], 0
    for path in texts:
        if path.stat().st_size == 0:
            continue
        kind_of(path)  # binary content with a .txt name is refused here
        text, note = read_text(path)
        if note:
            notes.append(note)
        relative = path.relative_to(folder)
        label = relative.parts[0] if len(relative.parts) > 1 else None
        rows.append({"text": text, "label": label, "file": str(relative)})
        done += path.stat().st_size
        if state is not None:
            state.progress(done, total, f"Reading {relative}")
    if not rows:
        raise UserError(f"{folder.name}: every text file is empty.")
    table = pa.Table.from_pylist(rows)
    if table["label"].null_count == table.num_rows:
        table = table.drop(["label"])
    return Materialized("table", table, notes)


class _RejectedError(Exception):
    """An image that cannot be used; the message says why."""


def _image_folder(
    folder: Path,
    images: list[Path],
    others: list[Path],
    version_dir: Path,
    state: TaskState | None,
    strict: bool,
) -> Materialized:
    """Each image checked and copied (turned upright by its EXIF orientation); one that
    cannot be used is skipped and named, or with `strict` refuses the import."""
    target_root = version_dir / IMAGES_DIR
    total = sum(p.stat().st_size for p in images)
    rows, skipped, done, rotated = [], [], 0, 0
    for path in images:
        relative = path.relative_to(folder)
        shown = _shown_name(relative)
        try:
            row, turned = _copy_image(path, relative, target_root)
        except _RejectedError as reason:
            if strict:
                raise UserError(
                    f"{shown}: {reason}; the import was refused.",
                    "Remove or fix the image, or import without --strict-images to skip it.",
                ) from None
            skipped.append(f"{shown} ({reason})")
            continue
        rows.append(row)
        rotated += turned
        done += path.stat().st_size
        if state is not None:
            state.progress(done, total, f"Checking {shown}")
    if not rows:
        raise UserError(f"{folder.name}: none of its images can be used: {listed(skipped, 5)}.")
    notes = [f"{len(rows)} images."]
    if rotated:
        notes.append(f"{rotated} image(s) rotated upright from their EXIF orientation.")
    if skipped:
        notes.append(f"Skipped {len(skipped)} image(s): {listed(skipped)}.")
    if others:
        names = [_shown_name(p.relative_to(folder)) for p in others]
        notes.append(f"Skipped {len(others)} file(s) that are not images: {listed(names)}.")
    return Materialized("images", pa.Table.from_pylist(rows), notes)


def _shown_name(relative: Path) -> str:
    """The name as text; bytes that are not UTF-8 shown escaped (\\xe9)."""
    return os.fsencode(relative).decode("utf-8", errors="backslashreplace")


def _copy_image(path: Path, relative: Path, target_root: Path) -> tuple[dict[str, Any], bool]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        relative.as_posix().encode("utf-8")
    except UnicodeEncodeError:
        raise _RejectedError("its name is not valid UTF-8; rename it") from None
    if path.stat().st_size == 0:
        raise _RejectedError("the file is empty (0 bytes)")
    with path.open("rb") as handle:
        signature = image_signature(handle.read(16))
    if signature != IMAGE_SUFFIXES[path.suffix.lower()]:
        found = "a " + signature if signature else "unknown data"
        raise _RejectedError(f"the content is not a {path.suffix[1:]} image ({found})")
    target = target_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    turned = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.verify()
            with Image.open(path) as image:
                orientation = image.getexif().get(0x0112, 1)
                if orientation not in (1, None):
                    upright = ImageOps.exif_transpose(image)
                    upright.save(target, format=image.format, quality=95)
                    width, height = upright.size
                    turned = True
                else:
                    image.load()  # a truncated file fails here, not in training
                    width, height = image.size
                    shutil.copyfile(path, target)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        target.unlink(missing_ok=True)
        raise _RejectedError(
            f"it declares more than {Image.MAX_IMAGE_PIXELS:,} pixels, too many to decode "
            "safely (a decompression bomb, or an image to resize or tile first)"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        target.unlink(missing_ok=True)
        raise _RejectedError(f"the image is damaged or unreadable ({error})") from None
    label = relative.parts[0] if len(relative.parts) > 1 else None
    row = {
        "image": f"{IMAGES_DIR}/{relative.as_posix()}",
        "label": label,
        "width": width,
        "height": height,
        "bytes": target.stat().st_size,
    }
    return row, turned

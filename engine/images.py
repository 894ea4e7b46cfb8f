"""Image datasets: a folder with a sub-folder per class, or a manifest of paths and labels."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from engine.data import load_table, require_columns
from engine.errors import DataError
from engine.setup_progress import Report, counted, quiet

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def image_rows(
    path: str,
    image_column: str,
    label_column: str,
    split_column: str | None = None,
    report: Report = quiet,
) -> list[dict[str, Any]]:
    """Rows of {"path", "label"} (and the split column's value, when a manifest has one);
    every image is checked to be readable, up front."""
    source = Path(path)
    if source.is_dir() and not any(source.glob("*.parquet")):
        rows = [
            {"path": str(file), "label": folder.name}
            for folder in sorted(p for p in source.iterdir() if p.is_dir())
            for file in sorted(folder.iterdir())
            if file.suffix.lower() in IMAGE_SUFFIXES
        ]
        if not rows:
            raise DataError(
                f"{source}: no images found; expected one sub-folder per class "
                f"holding {', '.join(sorted(IMAGE_SUFFIXES))} files"
            )
    else:
        table = load_table(source)
        require_columns(
            table,
            {"dataset.image_column": image_column, "dataset.label_column": label_column},
            path,
        )
        base = source if source.is_dir() else source.parent
        rows = [
            {"path": str(base / str(r[image_column])), "label": str(r[label_column])}
            | ({split_column: r[split_column]} if split_column and split_column in r else {})
            for chunk in table.chunks()
            for r in chunk
        ]
    for number, row in enumerate(counted(report, "checking images", rows), start=1):
        _check_image(Path(row["path"]), number)
    return rows


def _check_image(path: Path, row: int) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path} (row {row}): the image file is empty")
        with Image.open(path) as image:
            image.verify()
    except FileNotFoundError as error:
        raise DataError(f"{path} (row {row}): the image does not exist") from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DataError(f"{path} (row {row}): unreadable image ({error})") from error


def open_rgb(path: str) -> Any:
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def augment(image: Any, rng: random.Random | None = None) -> Any:
    """Random resized crop (60–100 % of the area) and a horizontal flip half the time.

    Uses Python's `random` by default, whose state every checkpoint saves.
    """
    from PIL import ImageOps

    draw: Any = rng or random  # the module's functions share Random's methods
    width, height = image.size
    area = width * height * draw.uniform(0.6, 1.0)
    ratio = draw.uniform(3 / 4, 4 / 3)
    crop_w = max(1, min(width, round((area * ratio) ** 0.5)))
    crop_h = max(1, min(height, round((area / ratio) ** 0.5)))
    left, top = draw.randint(0, width - crop_w), draw.randint(0, height - crop_h)
    image = image.crop((left, top, left + crop_w, top + crop_h))
    return ImageOps.mirror(image) if draw.random() < 0.5 else image

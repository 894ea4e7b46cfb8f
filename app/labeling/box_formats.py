"""Boxes in and out: COCO JSON (one file) and YOLO (a `labels/` text file per image, with
`classes.txt` and `data.yaml`), the two formats detection tools read.

Coordinates are image pixels with the EXIF orientation applied, as the pane draws them
and as the engine reads images. Exports go to a new file or folder, written beside it
and renamed into place; imports check everything first and refuse the whole file, naming
the annotation id (COCO) or the file and line (YOLO), before any label is written.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from app.errors import UserError
from app.labeling.service import BOXES, LabelingService
from app.labeling.store import Box, Label, Project

EXIF_ORIENTATION = 274
ROTATED = {5, 6, 7, 8}
"""EXIF orientations that turn the picture a quarter: width and height swap."""


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as shown: the EXIF orientation applied (reads the header only)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except OSError as error:
        raise UserError(f"{path.name}: cannot read the image ({error}).") from None
    return (height, width) if orientation in ROTATED else (width, height)


def _boxed(service: LabelingService, project: Project) -> list[tuple[Label, str, Path]]:
    if project.kind != BOXES:
        raise UserError(f"{project.name} has no boxes: export it as JSONL or CSV.")
    labeled = sorted(
        (label for label in service.labels(project).values() if label.boxes),
        key=lambda label: label.sample,
    )
    if not labeled:
        raise UserError(f"{project.name} has no boxes drawn yet.")
    values = service.values(project, 0, service.sample_count(project))
    return [
        (label, str(values[label.sample]), service.image_path(project, str(values[label.sample])))
        for label in labeled
    ]


def _new(destination: Path) -> None:
    if destination.exists():
        raise UserError(f"{destination} exists already: choose a new name.")
    destination.parent.mkdir(parents=True, exist_ok=True)


# -- COCO -------------------------------------------------------------------------------


def export_coco(service: LabelingService, project: Project, destination: Path) -> int:
    """Images with boxes, their boxes and the classes in one COCO JSON file; the number of
    boxes written."""
    destination = Path(destination)
    _new(destination)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    categories = {name: i + 1 for i, name in enumerate(project.class_names)}
    for label, value, path in _boxed(service, project):
        width, height = image_size(path)
        image_id = label.sample + 1
        images.append({"id": image_id, "file_name": value, "width": width, "height": height})
        for box in label.boxes:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": categories[box.name],
                    "bbox": [box.x, box.y, box.w, box.h],
                    "area": box.w * box.h,
                    "iscrowd": 0,
                }
            )
    document = {
        "info": {"description": f"{project.name}, labeled in SparkTrainer"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": name} for name, i in categories.items()],
    }
    _write_text(destination, json.dumps(document, indent=1))
    return len(annotations)


def import_coco(service: LabelingService, project: Project, source: Path) -> int:
    """Boxes from a COCO JSON file, images matched by `file_name` (the image column's
    value, or its file name alone when that is unique); the number of images labeled."""
    source = Path(source)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"{source.name}: not a COCO JSON file ({error}).") from None
    if not isinstance(document, dict) or not isinstance(document.get("annotations"), list):
        raise UserError(f"{source.name}: a COCO file has 'images', 'annotations', 'categories'.")
    samples = _samples_by_name(service, project)
    categories: dict[Any, str] = {}
    for category in document.get("categories") or []:
        name = str(category.get("name", ""))
        if name not in project.class_names:
            raise UserError(
                f"{source.name}: category {category.get('id')} ({name!r}) is not one of "
                f"{project.name}'s classes ({', '.join(project.class_names)})."
            )
        categories[category.get("id")] = name
    images: dict[Any, tuple[int, tuple[int, int]]] = {}
    for image in document.get("images") or []:
        name = str(image.get("file_name", ""))
        sample = samples.get(name, samples.get(PurePosixPath(name).name))
        if sample is None:
            raise UserError(
                f"{source.name}: image {image.get('id')} ({name}) is not in the project."
            )
        size = (int(image.get("width") or 0), int(image.get("height") or 0))
        images[image.get("id")] = (sample, size)
    boxes: dict[int, list[Box]] = {}
    for annotation in document["annotations"]:
        where = f"{source.name}: annotation {annotation.get('id')}"
        if annotation.get("image_id") not in images:
            raise UserError(
                f"{where} names image {annotation.get('image_id')}, which is not listed."
            )
        if annotation.get("category_id") not in categories:
            raise UserError(f"{where} names category {annotation.get('category_id')}, not listed.")
        bbox = annotation.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
            raise UserError(f"{where}: bbox must be [x, y, width, height].")
        x, y, w, h = (float(v) for v in bbox)
        sample, (width, height) = images[annotation["image_id"]]
        if (
            w <= 0
            or h <= 0
            or x < 0
            or y < 0
            or (width and x + w > width + 0.5)
            or (height and y + h > height + 0.5)
        ):
            raise UserError(f"{where}: the box {bbox} is not inside the {width} × {height} image.")
        boxes.setdefault(sample, []).append(Box(categories[annotation["category_id"]], x, y, w, h))
    labels = [service.boxes_label(project, sample, drawn) for sample, drawn in boxes.items()]
    service.put(project, labels)
    return len(labels)


# -- YOLO -------------------------------------------------------------------------------


def export_yolo(service: LabelingService, project: Project, destination: Path) -> int:
    """A folder with `labels/…/NAME.txt` beside the images' own layout, one line per box
    (`class cx cy w h`, relative to the image size), `classes.txt` and `data.yaml`; the
    number of boxes written."""
    destination = Path(destination)
    _new(destination)
    boxed = _boxed(service, project)
    index = {name: i for i, name in enumerate(project.class_names)}
    scratch = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".export-"))
    try:
        written = 0
        for label, value, path in boxed:
            width, height = image_size(path)
            lines = [
                f"{index[b.name]} {(b.x + b.w / 2) / width:.6f} {(b.y + b.h / 2) / height:.6f} "
                f"{b.w / width:.6f} {b.h / height:.6f}"
                for b in label.boxes
            ]
            target = scratch / "labels" / _relative(value).with_suffix(".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(lines) + "\n", encoding="utf-8")
            written += len(lines)
        (scratch / "classes.txt").write_text("\n".join(project.class_names) + "\n")
        names = "".join(
            f"  {i}: {json.dumps(name)}\n" for i, name in enumerate(project.class_names)
        )
        (scratch / "data.yaml").write_text(
            f"# {project.name}, labeled in SparkTrainer\npath: .\n"
            f"nc: {len(project.class_names)}\nnames:\n{names}",
            encoding="utf-8",
        )
        os.replace(scratch, destination)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return written


def import_yolo(service: LabelingService, project: Project, source: Path) -> int:
    """Boxes from a YOLO folder (`classes.txt` and `labels/…/NAME.txt`, as exported here or
    by a detection tool); the number of images labeled."""
    source = Path(source)
    classes_file = source / "classes.txt"
    if not classes_file.is_file():
        raise UserError(f"{source}: a YOLO folder has classes.txt and labels/.")
    names = [line.strip() for line in classes_file.read_text(encoding="utf-8").splitlines()]
    names = [name for name in names if name]
    for number, name in enumerate(names, 1):
        if name not in project.class_names:
            raise UserError(
                f"classes.txt, line {number}: {name!r} is not a class of {project.name}."
            )
    samples = _samples_by_stem(service, project)
    labels = []
    for text_file in sorted((source / "labels").rglob("*.txt")):
        relative = text_file.relative_to(source / "labels").with_suffix("")
        sample = samples.get(relative.as_posix(), samples.get(relative.name))
        if sample is None:
            raise UserError(f"{relative.as_posix()}.txt: no image of the project has this name.")
        path = service.image_path(project, str(service.values(project, sample, 1)[0]))
        width, height = image_size(path)
        boxes = []
        for number, line in enumerate(text_file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{relative.as_posix()}.txt, line {number}"
            parts = line.split()
            if len(parts) != 5 or not parts[0].isdigit() or not all(_number(p) for p in parts[1:]):
                raise UserError(f"{where}: a line is `class cx cy width height`.")
            cls, (cx, cy, w, h) = int(parts[0]), (float(p) for p in parts[1:])
            if cls >= len(names):
                raise UserError(
                    f"{where}: class {cls} is not in classes.txt ({len(names)} classes)."
                )
            if not (_spans(cx, w) and _spans(cy, h)):
                raise UserError(f"{where}: the box is not inside the image (0 to 1).")
            x, y = max(0.0, (cx - w / 2) * width), max(0.0, (cy - h / 2) * height)
            boxes.append(Box(names[cls], x, y, w * width, h * height))
        labels.append(service.boxes_label(project, sample, boxes))
    service.put(project, [label for label in labels if label.boxes])
    return sum(1 for label in labels if label.boxes)


# -- helpers ----------------------------------------------------------------------------


def _spans(centre: float, size: float) -> bool:
    """A YOLO box's extent along one axis lies in the image (0 to 1, rounding allowed)."""
    slack = 1e-6
    return 0 < size <= 1 and centre - size / 2 >= -slack and centre + size / 2 <= 1 + slack


def _number(value: Any) -> bool:
    try:
        return math.isfinite(float(value)) and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _relative(value: str) -> PurePosixPath:
    """An image's path below the version's `images/` folder."""
    path = PurePosixPath(value)
    return PurePosixPath(*path.parts[1:]) if path.parts and path.parts[0] == "images" else path


def _samples_by_name(service: LabelingService, project: Project) -> dict[str, int]:
    values = service.values(project, 0, service.sample_count(project))
    found: dict[str, int] = {}
    names: dict[str, list[int]] = {}
    for sample, value in enumerate(values):
        found[str(value)] = sample
        names.setdefault(PurePosixPath(str(value)).name, []).append(sample)
    for name, samples in names.items():
        if len(samples) == 1:
            found.setdefault(name, samples[0])  # a bare file name, when it is unambiguous
    return found


def _samples_by_stem(service: LabelingService, project: Project) -> dict[str, int]:
    values = service.values(project, 0, service.sample_count(project))
    found: dict[str, int] = {}
    stems: dict[str, list[int]] = {}
    for sample, value in enumerate(values):
        relative = _relative(str(value)).with_suffix("")
        found[relative.as_posix()] = sample
        stems.setdefault(relative.name, []).append(sample)
    for stem, samples in stems.items():
        if len(samples) == 1:
            found.setdefault(stem, samples[0])
    return found


def _write_text(destination: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".export-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Labels in and out: JSONL and CSV files (one line per labeled sample), and a new dataset
version holding the labeled rows with their labels.

An export is written to a temporary file beside its destination and renamed into place,
and never replaces a file that is there already. An import checks every line first and
refuses the whole file, naming the file and line, before a single label is written.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.datasets.store import DatasetVersion
from app.errors import UserError
from app.labeling.service import BOXES, LABEL_COLUMN, LABELS_COLUMN, LabelingService
from app.labeling.store import Label, Project

FORMATS = ("jsonl", "csv")
BOX_FORMATS = ("coco", "yolo")
MULTI_SEPARATOR = "|"
"""Between the classes of a multi-label sample in a CSV cell."""


def export_labels(service: LabelingService, project: Project, fmt: str, destination: Path) -> int:
    """Write the labeled samples (skipped and unlabeled ones are left out); how many."""
    if fmt not in FORMATS:
        raise UserError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}.")
    destination = Path(destination)
    if destination.exists():
        raise UserError(f"{destination} exists already: choose a new file name.")
    labeled = sorted(
        (label for label in service.labels(project).values() if label.classes),
        key=lambda label: label.sample,
    )
    rows = list(_rows(service, project, labeled))
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".export-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            if fmt == "jsonl":
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                writer = csv.writer(out)
                key = LABELS_COLUMN if project.multi_label else LABEL_COLUMN
                writer.writerow(["sample", project.column, key])
                for row in rows:
                    value = row[key]
                    cell = MULTI_SEPARATOR.join(value) if isinstance(value, list) else value
                    writer.writerow([row["sample"], row[project.column], cell])
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(rows)


def _rows(
    service: LabelingService, project: Project, labels: list[Label]
) -> Iterator[dict[str, Any]]:
    chunk = 4096
    for start in range(0, len(labels), chunk):
        part = labels[start : start + chunk]
        first, last = part[0].sample, part[-1].sample
        values = service.values(project, first, last - first + 1)
        for label in part:
            value = values[label.sample - first]
            if project.multi_label:
                yield {"sample": label.sample, project.column: value, LABELS_COLUMN: label.classes}
            else:
                yield {
                    "sample": label.sample,
                    project.column: value,
                    LABEL_COLUMN: label.classes[0],
                }


def import_labels(service: LabelingService, project: Project, source: Path) -> int:
    """Labels from a JSONL or CSV file (by the suffix), each line naming its sample by
    `sample` (its index) or by the labeled column's value; how many were written."""
    source = Path(source)
    if not source.is_file():
        raise UserError(f"{source}: no such file.")
    suffix = source.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise UserError(f"{source}: labels are read from .jsonl or .csv files.")
    records = list(_read_jsonl(source) if suffix == ".jsonl" else _read_csv(source))
    total = service.sample_count(project)
    by_value: dict[Any, int] | None = None
    labels: dict[int, Label] = {}
    for line, record in records:
        where = f"{source.name}, line {line}"
        if "sample" in record and record["sample"] not in (None, ""):
            try:
                sample = int(record["sample"])
            except (TypeError, ValueError):
                raise UserError(
                    f"{where}: sample {record['sample']!r} is not a row number."
                ) from None
            if not 0 <= sample < total:
                raise UserError(f"{where}: sample {sample} is outside 0 to {total - 1}.")
        elif project.column in record:
            if by_value is None:
                values = service.values(project, 0, total)
                by_value = {}
                for index, value in enumerate(values):
                    by_value.setdefault(value, index)
            if record[project.column] not in by_value:
                raise UserError(f"{where}: no sample has this {project.column}.")
            sample = by_value[record[project.column]]
        else:
            raise UserError(f"{where}: name the sample by 'sample' or by '{project.column}'.")
        classes = _classes(record, where)
        try:
            labels[sample] = Label(sample, service.check(project, classes), False)
        except UserError as error:
            raise UserError(f"{where}: {error.message}") from None
    service.put(project, list(labels.values()))
    return len(labels)


def _classes(record: dict[str, Any], where: str) -> list[str]:
    if LABELS_COLUMN in record:
        value = record[LABELS_COLUMN]
        if isinstance(value, str):
            value = [part for part in value.split(MULTI_SEPARATOR) if part]
        if not isinstance(value, list) or not value:
            raise UserError(f"{where}: '{LABELS_COLUMN}' must list at least one class.")
        return [str(item) for item in value]
    value = record.get(LABEL_COLUMN)
    if value in (None, ""):
        raise UserError(f"{where}: no '{LABEL_COLUMN}'.")
    return [str(value)]


def _read_jsonl(source: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with source.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise UserError(f"{source.name}, line {number}: not JSON ({error.msg}).") from None
            if not isinstance(record, dict):
                raise UserError(f"{source.name}, line {number}: each line is one JSON object.")
            yield number, record


def _read_csv(source: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with source.open(encoding="utf-8", newline="") as lines:
        reader = csv.DictReader(lines)
        if not reader.fieldnames:
            raise UserError(f"{source.name}: the file is empty.")
        for record in reader:
            yield reader.line_num, dict(record)


def to_dataset(service: LabelingService, project: Project) -> DatasetVersion:
    """A new version of the project's dataset holding the labeled rows with their labels
    (`label`, or `labels` for a multi-label project), made from the project's version."""
    import pyarrow as pa

    labeled = {s: label for s, label in service.labels(project).items() if label.classes}
    if not labeled:
        raise UserError(f"{project.name} has no labeled sample yet.")
    version = service.version_of(project)
    table = service.datasets.read(version)
    order = sorted(labeled)
    table = table.take(pa.array(order, pa.int64()))
    key = LABELS_COLUMN if project.multi_label else LABEL_COLUMN
    column = (
        pa.array([labeled[s].classes for s in order], pa.list_(pa.string()))
        if project.multi_label
        else pa.array([labeled[s].classes[0] for s in order], pa.string())
    )
    if project.kind == BOXES:  # the rectangles as JSON text: [{"class", "x", "y", "w", "h"}]
        key = BOXES
        column = pa.array(
            [json.dumps([b.as_json() for b in labeled[s].boxes]) for s in order], pa.string()
        )
    if key in table.column_names:
        table = table.set_column(table.column_names.index(key), key, column)
    else:
        table = table.append_column(key, column)
    operation = {
        "kind": "labels",
        "project": project.id,
        "project_name": project.name,
        "labeled": len(order),
        "notes": [f"{len(order)} rows labeled in {project.name}"],
    }
    return service.datasets.derive(version.dataset_name, table, operation, base=version.number)


def export_any(service: LabelingService, project: Project, fmt: str, destination: Path) -> int:
    """Any format: COCO / YOLO for a box project, JSONL / CSV for the others."""
    from app.labeling import box_formats

    if project.kind == BOXES:
        if fmt not in BOX_FORMATS:
            raise UserError(f"format: {project.name} has boxes: export coco or yolo.")
        writer = box_formats.export_coco if fmt == "coco" else box_formats.export_yolo
        return writer(service, project, destination)
    if fmt in BOX_FORMATS:
        raise UserError(f"format: {project.name} has no boxes: export jsonl or csv.")
    return export_labels(service, project, fmt, destination)


def import_any(service: LabelingService, project: Project, source: Path) -> int:
    """By what `source` is: a .json COCO file, a YOLO folder (or its classes.txt), or a
    .jsonl / .csv file of classes."""
    from app.labeling import box_formats

    source = Path(source)
    if source.is_dir() or source.name == "classes.txt":
        return box_formats.import_yolo(
            service, project, source if source.is_dir() else source.parent
        )
    if source.suffix.lower() == ".json":
        return box_formats.import_coco(service, project, source)
    return import_labels(service, project, source)


def training_spec(project: Project, version: DatasetVersion) -> dict[str, Any]:
    """A job spec that trains the recipe of a class project on a version made from its
    labels, with the tuned defaults (what "Train on these labels" opens the wizard with)."""
    from app.jobs.recipes import default_spec, retune

    if project.kind == BOXES or project.multi_label:
        raise UserError(
            f"No recipe trains on {project.name}'s labels yet: it gives "
            + ("boxes." if project.kind == BOXES else "several classes per sample.")
        )
    spec = default_spec()
    spec["recipe"] = project.kind
    dataset: dict[str, Any] = {
        "path": str(version.data_file),
        "label_column": LABEL_COLUMN,
        "validation_split": 0.1,
    }
    if project.kind == "image_classification":
        spec["model"] = {"source": "preset", "name": "tiny-vit"}
        dataset["image_column"] = project.column
        spec["hyperparameters"] = {}
    else:
        dataset["text_column"] = project.column
    spec["dataset"] = dataset
    return retune(spec)

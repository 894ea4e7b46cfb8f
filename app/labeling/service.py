"""Labeling as a service for the pane and the command line: projects on dataset versions,
labels committed one action at a time, and what the person reads while labeling."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.datasets.row_window import RowWindow
from app.datasets.store import DatasetStore, DatasetVersion
from app.errors import NotFound, UserError
from app.labeling.schema import make_classes
from app.labeling.store import Box, Label, LabelStore, Project, Suggestion

IMAGE_COLUMN = "image"
BOXES = "boxes"
"""The project kind for rectangles with a class on images."""
LABEL_COLUMN = "label"
LABELS_COLUMN = "labels"
"""Where a multi-label project's classes go in a dataset version: a list per row."""


@dataclass(frozen=True)
class Progress:
    total: int
    labeled: int
    skipped: int
    per_class: dict[str, int]


class LabelingService:
    def __init__(self, store: LabelStore, datasets: DatasetStore) -> None:
        self.store, self.datasets = store, datasets
        self._windows: dict[int, tuple[RowWindow, int]] = {}
        self._lock = threading.Lock()

    # -- projects -----------------------------------------------------------------------

    def create(
        self,
        name: str,
        dataset: str,
        classes: list[str],
        *,
        version: int | None = None,
        column: str | None = None,
        hotkeys: list[str] | None = None,
        multi_label: bool = False,
        boxes: bool = False,
    ) -> Project:
        """A project on a version of `dataset` (the current one by default): a class (or
        several) per sample, or with `boxes` rectangles with a class on each image."""
        name = name.strip()
        if not name:
            raise UserError("name: give the project a name.")
        chosen = self.datasets.version(dataset, version)
        images = chosen.kind == "images"
        if boxes and not images:
            raise UserError(f"{chosen.dataset_name} holds no images to draw boxes on.")
        column = column or (IMAGE_COLUMN if images else _text_column(chosen))
        if column not in chosen.columns:
            raise UserError(
                f"column: {chosen.dataset_name} version {chosen.number} has no column {column!r}",
                f"Its columns are {', '.join(chosen.columns)}.",
            )
        return self.store.add_project(
            name=name,
            dataset_id=chosen.dataset_id,
            version=chosen.number,
            kind=BOXES if boxes else "image_classification" if images else "text_classification",
            multi_label=multi_label or boxes,
            column=column,
            classes=[c.as_json() for c in make_classes(classes, hotkeys)],
            position=0,
        )

    def projects(self) -> list[Project]:
        return self.store.projects()

    def project(self, key: int | str) -> Project:
        """By id, or by name (the command line's way)."""
        if isinstance(key, int) or str(key).isdigit():
            return self.store.project(int(key))
        found = self.store.find_project(str(key))
        if found is None:
            raise NotFound(f"No labeling project named {key!r}", "`labels list` shows them.")
        return found

    def version_of(self, project: Project) -> DatasetVersion:
        for dataset in self.datasets.datasets():
            if dataset.id == project.dataset_id:
                return self.datasets.version(dataset.name, project.version)
        raise NotFound(f"The dataset of {project.name} was deleted.")

    def delete(self, project_id: int) -> None:
        with self._lock:
            self._windows.pop(project_id, None)
        self.store.delete_project(project_id)

    # -- samples ------------------------------------------------------------------------

    def _window(self, project: Project) -> tuple[RowWindow, int]:
        with self._lock:
            found = self._windows.get(project.id)
        if found is None:
            window = RowWindow(self.version_of(project).data_file)
            found = (window, window.columns.index(project.column))
            with self._lock:
                self._windows[project.id] = found
        return found

    def sample_count(self, project: Project) -> int:
        return self._window(project)[0].num_rows

    def values(self, project: Project, start: int, count: int) -> list[Any]:
        """The labeled column's values for samples `start` to `start + count` (reads disk:
        off the GUI thread)."""
        window, column = self._window(project)
        return [row[column] for row in window.rows(start, count)]

    def cached_value(self, project: Project, sample: int) -> Any | None:
        """The value if its row group is decoded already (never reads: the GUI's path)."""
        window, column = self._window(project)
        rows = window.cached(sample, 1)
        return rows[0][column] if rows else None

    def image_path(self, project: Project, value: str) -> Path:
        return self.version_of(project).path / value

    # -- labels -------------------------------------------------------------------------

    def check(self, project: Project, classes: list[str]) -> list[str]:
        """The classes in schema order; refused when one is unknown or a single-label
        project is given more than one."""
        known = project.class_names
        unknown = [c for c in classes if c not in known]
        if unknown:
            raise UserError(
                f"{project.name} has no class {unknown[0]!r}: its classes are {', '.join(known)}."
            )
        if not project.multi_label and len(set(classes)) > 1:
            raise UserError(f"{project.name} gives each sample one class ({len(classes)} given).")
        return [c for c in known if c in classes]

    def set_label(self, project: Project, sample: int, classes: list[str]) -> None:
        self.put(project, [Label(sample, self.check(project, classes), False)])

    def set_boxes(self, project: Project, sample: int, boxes: list[Box]) -> None:
        """A box project's rectangles for one image (all of them: they replace the old)."""
        self.put(project, [self.boxes_label(project, sample, boxes)])

    def boxes_label(self, project: Project, sample: int, boxes: list[Box]) -> Label:
        if project.kind != BOXES:
            raise UserError(f"{project.name} labels {project.kind.replace('_', ' ')}, not boxes.")
        for box in boxes:
            self.check(project, [box.name])
            if box.w <= 0 or box.h <= 0 or box.x < 0 or box.y < 0:
                raise UserError(
                    f"a box of {box.name} at ({box.x:g}, {box.y:g}) sized {box.w:g} × {box.h:g} "
                    "must start inside the image and have a width and a height."
                )
        names = self.check(project, sorted({box.name for box in boxes}))
        return Label(sample, names, False, tuple(boxes))

    def skip(self, project: Project, sample: int) -> None:
        self.put(project, [Label(sample, [], True)])

    def put(self, project: Project, labels: list[Label]) -> None:
        total = self.sample_count(project)
        for label in labels:
            if not 0 <= label.sample < total:
                raise UserError(f"sample {label.sample} is outside 0 to {total - 1}.")
        self.store.put(project.id, labels)

    def clear(self, project: Project, samples: list[int]) -> None:
        self.store.remove(project.id, samples)

    def labels(self, project: Project) -> dict[int, Label]:
        return self.store.labels(project.id)

    def suggestions(self, project: Project) -> dict[int, Suggestion]:
        return self.store.suggestions(project.id)

    def progress(self, project: Project) -> Progress:
        per_class, labeled, skipped = self.store.counts(project.id)
        return Progress(
            self.sample_count(project),
            labeled,
            skipped,
            {name: per_class.get(name, 0) for name in project.class_names},
        )

    def set_position(self, project: Project, sample: int) -> None:
        self.store.set_position(project.id, sample)


def _text_column(version: DatasetVersion) -> str:
    """`text` when there is one, else the first string column."""
    if "text" in version.columns:
        return "text"
    for name, kind in version.schema:
        if kind in ("string", "large_string"):
            return name
    raise UserError(f"{version.dataset_name} has no text column to label.")

"""`sparktrainer labels …`: labeling projects from a terminal (the Labeling pane's
actions): create, list, import and export labels, and make a dataset version of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.paths import data_paths

if TYPE_CHECKING:
    from app.labeling.service import LabelingService


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("labels", help="labeling projects: create, export, import…")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every project with its progress").set_defaults(func=_list)

    create = actions.add_parser("create", help="a labeling project on a dataset version")
    create.add_argument("name")
    create.add_argument("--dataset", required=True, help="the dataset's name")
    create.add_argument("--version", type=int, help="its version (default: the current one)")
    create.add_argument(
        "--classes", required=True, help="comma-separated, in the order of keys 1, 2, 3…"
    )
    create.add_argument("--column", help="the text or image column (default: text / image)")
    create.add_argument(
        "--hotkeys", help="comma-separated, one letter or digit per class (default: 1, 2, 3…)"
    )
    create.add_argument("--multi-label", action="store_true", help="several classes a sample")
    create.add_argument("--boxes", action="store_true", help="rectangles with a class (images)")
    create.set_defaults(func=_create)

    export = actions.add_parser("export", help="the labeled samples to a new file")
    export.add_argument("project", help="its name or number")
    export.add_argument("--format", required=True, choices=["jsonl", "csv", "coco", "yolo"])
    export.add_argument("destination", type=Path)
    export.set_defaults(func=_export)

    imported = actions.add_parser(
        "import", help="labels from a JSONL / CSV file, a COCO .json file or a YOLO folder"
    )
    imported.add_argument("project", help="its name or number")
    imported.add_argument("file", type=Path)
    imported.set_defaults(func=_import)

    to_dataset = actions.add_parser(
        "to-dataset", help="a new dataset version of the labeled rows with their labels"
    )
    to_dataset.add_argument("project", help="its name or number")
    to_dataset.set_defaults(func=_to_dataset)
    register_prelabel(actions)


def service() -> LabelingService:
    from app.datasets.store import DatasetStore
    from app.db.database import Database
    from app.labeling.service import LabelingService
    from app.labeling.store import LabelStore

    paths = data_paths().ensure()
    database = Database(paths.database)
    return LabelingService(LabelStore(database), DatasetStore(database, paths.datasets))


def _list(_args: argparse.Namespace) -> int:
    labeling = service()
    projects = labeling.projects()
    if not projects:
        print("No labeling projects yet: `labels create NAME --dataset D --classes a,b`.")
        return 0
    print(f"{'#':>3}  {'NAME':<28} {'KIND':<22} {'DATASET':<24} {'LABELED':>14}")
    for project in projects:
        version = labeling.version_of(project)
        progress = labeling.progress(project)
        kind = project.kind.replace("_", " ") + (" (multi)" if project.multi_label else "")
        dataset = f"{version.dataset_name} v{version.number}"
        done = f"{progress.labeled} / {progress.total}"
        print(f"{project.id:>3}  {project.name:<28} {kind:<22} {dataset:<24} {done:>14}")
        counts = ", ".join(f"{name} {count}" for name, count in progress.per_class.items())
        print(f"     {counts}" + (f"; skipped {progress.skipped}" if progress.skipped else ""))
    return 0


def _create(args: argparse.Namespace) -> int:
    project = service().create(
        args.name,
        args.dataset,
        [name for name in args.classes.split(",")],
        version=args.version,
        column=args.column,
        multi_label=args.multi_label,
        boxes=args.boxes,
        hotkeys=[key.strip() for key in args.hotkeys.split(",")] if args.hotkeys else None,
    )
    keys = ", ".join(f"{c.hotkey or '–'} {c.name}" for c in project.classes)
    print(f"Created labeling project #{project.id} {project.name} ({keys}).")
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.labeling.formats import BOX_FORMATS, export_any

    labeling = service()
    project = labeling.project(args.project)
    count = export_any(labeling, project, args.format, args.destination)
    what = "boxes" if args.format in BOX_FORMATS else "labeled samples"
    print(f"Wrote {count} {what} of {project.name} to {args.destination}.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from app.labeling.formats import import_any

    labeling = service()
    project = labeling.project(args.project)
    count = import_any(labeling, project, args.file)
    print(f"Imported the labels of {count} samples into {project.name}.")
    return 0


def _to_dataset(args: argparse.Namespace) -> int:
    from app.labeling.formats import to_dataset

    labeling = service()
    project = labeling.project(args.project)
    version = to_dataset(labeling, project)
    print(
        f"Made {version.dataset_name} version {version.number}: {version.rows} labeled rows "
        f"from {project.name}."
    )
    return 0


def register_prelabel(actions: argparse._SubParsersAction) -> None:
    prelabel = actions.add_parser(
        "prelabel", help="suggestions from a registered classifier for the unlabeled samples"
    )
    prelabel.add_argument("project", help="its name or number")
    prelabel.add_argument("--model", type=int, required=True, help="the model (`model list`)")
    prelabel.set_defaults(func=_prelabel)


def _prelabel(args: argparse.Namespace) -> int:
    from app.cli.model_command import _registry
    from app.labeling.prelabel import prelabel
    from app.tasks import Progress, TaskState

    labeling = service()
    project = labeling.project(args.project)
    model = _registry().get(args.model)
    print(f"Pre-labeling {project.name} with {model.name}…")

    def progress(value: Progress) -> None:
        done, total = int(value.done), int(value.total or 0)
        end = "\n" if total and done >= total else ""
        print(f"\r  {done:,} of {total:,} samples", end=end, flush=True)

    try:
        result = prelabel(labeling, project, model, TaskState(progress))
    except KeyboardInterrupt:
        print("\nStopped; the suggestions made so far are kept.", file=sys.stderr)
        return 130
    print(f"{result.suggested:,} suggestions for {project.name} from {model.name}.")
    if result.unmatched:
        print(f"{result.unmatched:,} predictions named a class {project.name} does not have.")
    return 0

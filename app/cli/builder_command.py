"""`sparktrainer builder …`: the Builder's checks and export from a terminal."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.units import human_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("builder", help="network definitions: check, export, train")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="every layer's output shape, parameters and FLOPs, or what is wrong"
    )
    check.add_argument("file", type=Path, help="a network definition (JSON)")
    check.add_argument("--batch-size", type=int, default=32, help="for the memory estimate")
    check.set_defaults(func=_check)
    export = actions.add_parser("export", help="a standalone PyTorch module file")
    export.add_argument("file", type=Path)
    export.add_argument("destination", type=Path, help="the .py file to write (a new one)")
    export.set_defaults(func=_export)
    actions.add_parser("list", help="the networks saved in the Builder").set_defaults(func=_list)
    show = actions.add_parser("show", help="a saved network's definition (JSON)")
    show.add_argument("name")
    show.add_argument("--version", type=int, help="default: the newest")
    show.set_defaults(func=_show)
    train = actions.add_parser(
        "train-spec",
        help="a job spec training the network on a dataset that fits it (for `job submit`)",
    )
    train.add_argument("file", type=Path, help="a network definition (JSON)")
    train.add_argument("destination", type=Path, help="the spec file to write (a new one)")
    train.add_argument("--dataset", help="the dataset's name (needed when several fit)")
    train.set_defaults(func=_train_spec)
    templates = actions.add_parser("template", help="write a template's definition")
    templates.add_argument("name", help="MLP, 'Small CNN', ResNet-style or 'Tiny Transformer'")
    templates.add_argument("destination", type=Path)
    templates.set_defaults(func=_template)


def read_definition(path: Path) -> dict[str, Any]:
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UserError(f"{path}: not JSON ({error})") from None
    if not isinstance(definition, dict):
        raise UserError(f"{path}: a network definition is a JSON object")
    return definition


def _refused(path: Path, error: Exception) -> UserError:
    from app.builder import NetworkError

    if isinstance(error, NetworkError):
        fix = f"Fix: {json.dumps(error.fix)}" if error.fix else ""
        return UserError(f"{path.name}: {error.path}: {error.message}", fix)
    return UserError(f"{path.name}: {error}")


def _check(args: argparse.Namespace) -> int:
    from app.builder import NetworkError, analyse

    definition = read_definition(args.file)
    try:
        analysis = analyse(definition)
    except NetworkError as error:
        raise _refused(args.file, error) from None
    print(f"{'LAYER':<26} {'TYPE':<24} {'OUTPUT':>16} {'PARAMETERS':>12} {'FLOPS':>14}")
    print(f"{'input':<26} {'':<24} {_shape(analysis.input):>16}")
    for info in analysis.layers:
        depth = info.path.count(".layers[")
        name = "  " * depth + info.path.rsplit(".", 1)[-1]
        shown = _shape(info.output) if info.output else "—"
        print(f"{name:<26} {info.type:<24} {shown:>16} {info.params:>12,} {info.flops:>14,}")
    if analysis.errors:
        raise _refused(args.file, analysis.errors[0])
    if analysis.num_classes:
        print(f"{'head':<26} {'Linear':<24} {analysis.num_classes:>16}")
    print(
        f"\n{analysis.params:,} parameters, {analysis.flops:,} FLOPs a sample, about "
        f"{human_bytes(analysis.training_memory(args.batch_size))} to train with batches "
        f"of {args.batch_size}."
    )
    if not analysis.num_classes:
        print("No head yet: the classes come from the data (head.num_classes).")
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.builder import NetworkError, export_source

    definition = read_definition(args.file)
    if args.destination.exists():
        raise UserError(f"{args.destination} exists already: choose a new file name.")
    try:
        source = export_source(definition, args.file.stem)
    except NetworkError as error:
        raise _refused(args.file, error) from None
    args.destination.write_text(source, encoding="utf-8")
    print(f"Wrote {args.destination}: `from {args.destination.stem} import Network`.")
    return 0


def _train_spec(args: argparse.Namespace) -> int:
    """What "Train this…" opens the wizard on, written as a spec file."""
    from app.builder.training import fitting, training_spec
    from app.cli.dataset_command import dataset_store

    definition = read_definition(args.file)
    if args.destination.exists():
        raise UserError(f"{args.destination} exists already: choose a new file name.")
    found = fitting(dataset_store(), definition)
    names = [fit.version.dataset_name for fit in found]
    if not found:
        raise UserError(
            f"No dataset fits {args.file.name}.",
            "Import one with a label column: images for an image input, numeric columns "
            "for a vector input, a text column for a token input.",
        )
    if args.dataset is None and len(found) > 1:
        raise UserError(f"Several datasets fit: {', '.join(names)}.", "Choose one with --dataset.")
    if args.dataset is not None and args.dataset not in names:
        raise UserError(
            f"Dataset {args.dataset!r} does not fit {args.file.name}.",
            f"These do: {', '.join(names)}." if names else "",
        )
    fit = found[names.index(args.dataset) if args.dataset else 0]
    spec = training_spec(definition, fit)
    temporary = args.destination.with_name(f".{args.destination.name}.writing")
    temporary.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    temporary.replace(args.destination)
    print(
        f"Wrote {args.destination}: {args.file.name} on {fit.version.dataset_name} "
        f"v{fit.version.number}. Queue it with `sparktrainer job submit {args.destination}`."
    )
    return 0


def _template(args: argparse.Namespace) -> int:
    from app.builder import TEMPLATES

    found = {name.casefold(): name for name in TEMPLATES}.get(args.name.casefold())
    if found is None:
        raise UserError(f"No template {args.name!r}: there are {', '.join(TEMPLATES)}.")
    if args.destination.exists():
        raise UserError(f"{args.destination} exists already: choose a new file name.")
    args.destination.write_text(json.dumps(TEMPLATES[found], indent=2) + "\n", encoding="utf-8")
    print(f"Wrote the {found} template to {args.destination}.")
    return 0


def _shape(shape: tuple[int, ...] | None) -> str:
    return "×".join(str(s) for s in shape) if shape else ""


def _library() -> Any:
    from app.builder.library import NetworkLibrary
    from app.db.database import Database
    from app.paths import data_paths

    return NetworkLibrary(Database(data_paths().ensure().database))


def _list(_args: argparse.Namespace) -> int:
    names = _library().names()
    if not names:
        print("No networks saved yet: the Builder pane's Save version (Ctrl+S) saves one.")
    for name, version in names:
        print(f"{name}  (version {version})")
    return 0


def _show(args: argparse.Namespace) -> int:
    saved = _library().load(args.name, args.version)
    print(json.dumps(saved.definition, indent=2))
    return 0

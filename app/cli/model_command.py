"""`sparktrainer model …`: the model registry from a terminal (the Models pane's actions)."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.terminal import shown
from app.errors import UserError
from app.paths import data_paths
from app.units import human_bytes

if TYPE_CHECKING:
    from app.models.registry import ModelRegistry
    from app.models.store import ModelRecord


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="base and trained models: list, add, export…")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every model, bases first").set_defaults(func=_list)

    add = actions.add_parser("add", help="register a local Hugging Face model folder")
    add.add_argument("path", type=Path)
    add.set_defaults(func=_add)

    from app.cli.model_download import register as register_download

    register_download(actions)

    show = actions.add_parser("show", help="a model's lineage, metrics and files")
    show.add_argument("id", type=int)
    show.set_defaults(func=_show)

    card = actions.add_parser("card", help="print a model's card (Markdown), or edit it")
    card.add_argument("id", type=int)
    card.add_argument("--edit", action="store_true", help="open it in $VISUAL / $EDITOR")
    card.add_argument("--from-file", type=Path, metavar="FILE", help="replace it with FILE")
    card.set_defaults(func=_card)

    export = actions.add_parser("export", help="copy a model, with its card, to a new folder")
    export.add_argument("id", type=int)
    export.add_argument("destination", type=Path)
    export.add_argument(
        "--merged", action="store_true", help="an adapter merged into its base (a full model)"
    )
    export.set_defaults(func=_export)

    merge = actions.add_parser("merge", help="merge an adapter into its base and register it")
    merge.add_argument("id", type=int)
    merge.set_defaults(func=_merge)

    from app.cli.model_try import register as register_try

    register_try(actions)

    from app.cli.model_compare import register as register_compare

    register_compare(actions)

    delete = actions.add_parser("delete", help="forget a model and free the disk we used")
    delete.add_argument("id", type=int)
    delete.add_argument("--yes", action="store_true")
    delete.set_defaults(func=_delete)


def _registry() -> ModelRegistry:
    from app.datasets.store import DatasetStore
    from app.db.database import Database
    from app.jobs.store import JobStore
    from app.models.registry import ModelRegistry
    from app.models.store import ModelStore

    paths = data_paths().ensure()
    database = Database(paths.database)
    return ModelRegistry(
        paths, ModelStore(database), JobStore(database), DatasetStore(database, paths.datasets)
    )


def headline_metric(model: ModelRecord) -> str:
    metric = model.headline()
    return f"{metric[0]} {metric[1]:.4g}" if metric else ""


def _list(_args: argparse.Namespace) -> int:
    models = sorted(_registry().models(), key=lambda m: (m.kind != "base", m.id))
    print(f"{'ID':>4}  {'KIND':<8} {'TASK':<21} {'SIZE':>10}  {'RESULT':<18} NAME")
    for m in models:
        size = human_bytes(m.size_bytes) if m.size_bytes else "–"
        print(
            f"{m.id:>4}  {m.kind:<8} {m.task_name:<21} {size:>10}  "
            f"{headline_metric(m):<18} {shown(m.name)}"
        )
    return 0


def _add(args: argparse.Namespace) -> int:
    model = _registry().add_folder(args.path)
    print(
        f"Added model #{model.id}: {shown(model.name)} ({model.architecture}, "
        f"{model.parameters or 0:,} parameters, {model.dtype}, {human_bytes(model.size_bytes)})"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    registry = _registry()
    m = registry.get(args.id)
    print(f"#{m.id} {shown(m.name)}")
    print(f"  kind        {m.kind} ({m.method}), {m.task_name}")
    print(f"  source      {m.source}" + (f", job {m.job_id}" if m.job_id else ""))
    if m.base_id is not None:
        print(f"  base        #{m.base_id} {shown(registry.get(m.base_id).name)}")
    if m.dataset:
        d = m.dataset
        named = f"{d.get('name')} v{d.get('version')}" if d.get("name") else d.get("path")
        print(
            f"  dataset     {shown(named)}"
            + (f" (sha256 {d['sha256']})" if d.get("sha256") else "")
        )
    if m.architecture:
        print(f"  class       {m.architecture}")
    if m.parameters:
        print(f"  parameters  {m.parameters:,} ({m.dtype})")
    for label, values in (("final", "final"), ("best", "best"), ("baseline", "baseline")):
        numbers = {
            k: v for k, v in ((m.metrics or {}).get(values) or {}).items() if isinstance(v, float)
        }
        if numbers:
            print(f"  {label:<11} " + ", ".join(f"{k} {v:.4g}" for k, v in numbers.items()))
    if m.path:
        print(f"  folder      {shown(m.path)} ({human_bytes(m.size_bytes)})")
        for name, size in registry.files(m.id):
            print(f"    {shown(name):<40} {human_bytes(size):>10}")
    return 0


def _card(args: argparse.Namespace) -> int:
    registry = _registry()
    if args.from_file:
        registry.set_card(args.id, args.from_file.read_text(encoding="utf-8"))
        print(f"Card of model #{args.id} replaced.")
        return 0
    if not args.edit:
        sys.stdout.write(registry.card(args.id))
        return 0
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise UserError("--edit needs $VISUAL or $EDITOR", "Or use --from-file FILE.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"model-{args.id}-card.md"
        path.write_text(registry.card(args.id), encoding="utf-8")
        if subprocess.run([*shlex.split(editor), str(path)], check=False).returncode != 0:
            raise UserError("The editor failed; the card is unchanged.")
        registry.set_card(args.id, path.read_text(encoding="utf-8"))
    print(f"Card of model #{args.id} saved.")
    return 0


def _progress(phase: str, done: int, total: int) -> None:
    print(f"  [{done}/{total}] {phase}", flush=True)


def _export(args: argparse.Namespace) -> int:
    from app.models.merge_run import merge_blocking

    registry = _registry()
    destination = args.destination.expanduser().resolve()
    if not args.merged:
        print(f"Exported to {registry.export(args.id, destination)}")
        return 0
    adapter, _target = registry.merge_target(args.id)
    if destination.exists() and any(destination.iterdir()):
        raise UserError(f"{destination} is not empty; choose a new or empty folder")
    if destination.exists():
        destination.rmdir()
    merge_blocking(adapter, destination, _progress)
    registry.finish_merged_export(args.id, destination)
    print(f"Exported the merged model to {destination}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from app.models.merge_run import merge_blocking

    registry = _registry()
    adapter, target = registry.merge_target(args.id)
    merged = registry.register_merge(args.id, merge_blocking(adapter, target, _progress))
    print(f"Merged: model #{merged.id} {shown(merged.name)} in {merged.path}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    registry = _registry()
    try:
        model = registry.check_deletable(args.id)  # refused before asking, not after
    except UserError as error:
        raise UserError(shown(error.message), error.hint) from None
    freed = registry.space_freed(model.id)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("Deleting needs --yes when there is no terminal to ask.")
        keeps = "" if model.owned else " (its folder is yours and stays)"
        answer = input(
            f"Delete model #{model.id} {shown(model.name)}{keeps}, freeing "
            f"{human_bytes(freed)}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    print(f"Deleted model #{model.id}; {human_bytes(registry.delete(model.id))} freed.")
    return 0

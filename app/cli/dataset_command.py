"""`sparktrainer dataset`: import, inspect, derive and export datasets from a terminal."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.terminal import shown
from app.datasets.samples import SAMPLES
from app.errors import UserError
from app.launch import shown_command
from app.paths import data_paths
from app.units import human_bytes

if TYPE_CHECKING:
    from app.datasets.store import DatasetStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dataset", help="import, inspect and export datasets")
    actions = parser.add_subparsers(dest="dataset_action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", help="copy a file, folder or archive into the store")
    imp.add_argument("path", type=Path)
    imp.add_argument("--name", default="")
    imp.add_argument(
        "--skip-bad-lines", action="store_true", help="JSONL: skip unreadable lines, and say which"
    )
    imp.add_argument(
        "--strict-images",
        action="store_true",
        help="refuse the import for one unusable image (by default it is skipped and named)",
    )
    imp.set_defaults(func=_import)

    sample = actions.add_parser("sample", help="import a sample dataset made by SparkTrainer")
    sample.add_argument("key", choices=[item.key for item in SAMPLES])
    sample.set_defaults(func=_sample)

    listing = actions.add_parser("list", help="every dataset with its current version")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    show = actions.add_parser("show", help="a version's schema, statistics and checksum")
    show.add_argument("name")
    show.add_argument("--version", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)

    versions = actions.add_parser("versions", help="the versions and how each was made")
    versions.add_argument("name")
    versions.set_defaults(func=_versions)

    export = actions.add_parser("export", help="write a version as CSV, JSONL or Parquet")
    export.add_argument("name")
    export.add_argument("destination", type=Path)
    export.add_argument("--format", choices=("csv", "jsonl", "parquet"), required=True)
    export.add_argument("--version", type=int)
    export.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV: write cells that start with = + - @ as they are (by default they get a "
        "leading ' so a spreadsheet shows them instead of running them)",
    )
    export.set_defaults(func=_export)

    split = actions.add_parser("split", help="a new version with a train/validation/test column")
    split.add_argument("name")
    split.add_argument("--train", type=float, default=0.8)
    split.add_argument("--validation", type=float, default=0.1)
    split.add_argument("--test", type=float, default=0.1)
    split.add_argument("--seed", type=int, default=42)
    split.add_argument("--stratify", metavar="COLUMN")
    split.set_defaults(func=_split)

    clean = actions.add_parser("filter", help="a new version without empty or duplicate rows")
    clean.add_argument("name")
    clean.add_argument("--drop-empty", action="store_true")
    clean.add_argument("--drop-duplicates", action="store_true")
    clean.add_argument("--text-column")
    clean.add_argument("--min-length", type=int)
    clean.add_argument("--max-length", type=int)
    clean.add_argument(
        "--drop-label", action="append", default=[], metavar="LABEL", help="repeatable"
    )
    clean.set_defaults(func=_filter)

    diff = actions.add_parser("diff", help="rows and columns that differ between two versions")
    diff.add_argument("name")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    diff.set_defaults(func=_diff)

    use = actions.add_parser("use", help="make an older version the current one")
    use.add_argument("name")
    use.add_argument("version", type=int)
    use.set_defaults(func=_use)

    delete = actions.add_parser("delete", help="delete a dataset and every version")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true")
    delete.set_defaults(func=_delete)


def dataset_store() -> DatasetStore:
    from app.datasets.store import DatasetStore
    from app.db.database import Database

    paths = data_paths().ensure()
    store = DatasetStore(Database(paths.database), paths.datasets)
    store.remove_partial()
    return store


def _import(args: argparse.Namespace) -> int:
    from app.tasks import Progress, TaskState

    def action() -> int:
        store = dataset_store()
        terminal = sys.stderr.isatty()

        def report(progress: Progress) -> None:
            if not terminal:
                return
            if progress.total:
                share = progress.done / progress.total
                bar = "█" * int(share * 28) + "░" * (28 - int(share * 28))
                line = f"[{bar}] {human_bytes(progress.done)} of {human_bytes(progress.total)}"
            else:
                line = progress.message
            sys.stderr.write(f"\r{line:<70}")
            sys.stderr.flush()

        state = TaskState(report)
        version = store.import_path(
            args.path,
            args.name,
            state,
            skip_bad_lines=args.skip_bad_lines,
            strict_images=args.strict_images,
        )
        if terminal:
            sys.stderr.write("\r" + " " * 70 + "\r")
        print(
            f"Imported {shown(version.dataset_name)} v{version.number}: {version.rows:,} rows, "
            f"{len(version.schema)} columns, {human_bytes(version.bytes)}, "
            f"sha256 {version.sha256[:16]}…"
        )
        for note in version.notes:
            print(f"  {note}")
        return 0

    return action()


def _sample(args: argparse.Namespace) -> int:
    from app.datasets.samples import import_sample

    version = import_sample(dataset_store(), args.key)
    print(f"Imported {shown(version.dataset_name)}: {version.rows:,} rows")
    return 0


def _list(args: argparse.Namespace) -> int:
    def action() -> int:
        datasets = dataset_store().datasets()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "id": d.id,
                            "name": d.name,
                            "version": d.current_version,
                            "versions": d.versions,
                            "rows": d.current.rows,
                            "bytes": d.current.bytes,
                            "path": str(d.current.data_file),
                            "last_used_at": d.last_used_at.isoformat() if d.last_used_at else None,
                        }
                        for d in datasets
                    ],
                    indent=2,
                )
            )
            return 0
        if not datasets:
            hint = shlex.join(shown_command("dataset", "import"))
            print(f"No datasets. Import one with: {hint} PATH")
            return 0
        print(f"{'NAME':<30} {'VERSION':>7} {'ROWS':>12} {'SIZE':>10}  LAST USED")
        for d in datasets:
            used = f"{d.last_used_at:%Y-%m-%d %H:%M}" if d.last_used_at else "never"
            version = f"{d.current_version}/{d.versions}"
            size = human_bytes(d.current.bytes)
            print(f"{shown(d.name):<30} {version:>7} {d.current.rows:>12,} {size:>10}  {used}")
        return 0

    return action()


def _show(args: argparse.Namespace) -> int:
    def action() -> int:
        version = dataset_store().version(args.name, args.version)
        if args.json:
            data = {
                "name": version.dataset_name,
                "version": version.number,
                "parent": version.parent,
                "operation": version.operation,
                "kind": version.kind,
                "path": str(version.data_file),
                "sha256": version.sha256,
                "rows": version.rows,
                "bytes": version.bytes,
                "schema": version.schema,
                "stats": version.stats,
            }
            print(json.dumps(data, indent=2, default=str))
            return 0
        print(f"{shown(version.dataset_name)} v{version.number} ({version.kind})")
        print(f"  rows     {version.rows:,}    size {human_bytes(version.bytes)}")
        print(f"  sha256   {version.sha256}")
        print(f"  file     {version.data_file}")
        print("  columns")
        for name, kind in version.schema:
            summary = version.stats["columns"].get(name, {})
            detail = f"nulls {summary.get('nulls', 0):,}"
            if summary.get("not_computed"):
                detail += ", statistics not computed for this type"
            if "distinct" in summary:
                detail += f", distinct {summary['distinct']:,}"
            if "min" in summary:
                detail += f", {summary['min']} … {summary['max']}"
            elif summary.get("top"):
                top = ", ".join(f"{v!r}×{c}" for v, c in summary["top"][:3])
                detail += f", top {top}"
            print(f"    {name:<24} {kind:<14} {detail}")
        if "labels" in version.stats:
            labels = ", ".join(f"{v}: {c:,}" for v, c in version.stats["labels"][:10])
            print(f"  labels   {labels}")
        if "text_lengths" in version.stats and not version.stats.get("images"):
            lengths = version.stats["text_lengths"]
            print(
                f"  length   {version.stats['text_column']}: {lengths.get('min')}…"
                f"{lengths.get('max')} characters, mean {lengths.get('mean', 0):.0f}"
            )
        return 0

    return action()


def _versions(args: argparse.Namespace) -> int:
    def action() -> int:
        store = dataset_store()
        current = store.get(args.name).current_version
        for version in store.versions(args.name):
            operation = dict(version.operation)
            kind = operation.pop("kind")
            operation.pop("notes", None)
            mark = "*" if version.number == current else " "
            parent = f"from v{version.parent}" if version.parent else "       "
            print(
                f"{mark} v{version.number:<3} {version.created_at:%Y-%m-%d %H:%M}  "
                f"{version.rows:>10,} rows  {parent}  {kind} {json.dumps(operation)}"
            )
        return 0

    return action()


def _export(args: argparse.Namespace) -> int:
    def action() -> int:
        path = dataset_store().export(
            args.name,
            args.destination,
            args.format,
            args.version,
            keep_formulas=args.keep_formulas,
        )
        print(f"Wrote {path}")
        return 0

    return action()


def _split(args: argparse.Namespace) -> int:

    def action() -> int:
        fractions = {"train": args.train, "validation": args.validation, "test": args.test}
        version = dataset_store().split(
            args.name, fractions, seed=args.seed, stratify=args.stratify
        )
        counts = {name: count for name, count in version.stats["columns"]["split"]["top"]}
        print(
            f"{shown(version.dataset_name)} v{version.number}: "
            + ", ".join(f"{name} {counts.get(name, 0):,}" for name in fractions)
        )
        return 0

    return action()


def _filter(args: argparse.Namespace) -> int:
    from app.datasets import operations

    def action() -> int:
        store = dataset_store()
        base = store.version(args.name)
        options = operations.FilterOptions(
            drop_empty=args.drop_empty,
            drop_duplicates=args.drop_duplicates,
            text_column=args.text_column or base.stats.get("text_column"),
            min_length=args.min_length,
            max_length=args.max_length,
            label_column=base.stats.get("label_column") if args.drop_label else None,
            drop_labels=args.drop_label,
        )
        version = store.filter(args.name, options, base=base.number)
        print(
            f"{shown(version.dataset_name)} v{version.number}: "
            f"kept {version.rows:,} of {base.rows:,} rows"
        )
        return 0

    return action()


def _diff(args: argparse.Namespace) -> int:

    def action() -> int:
        result = dataset_store().diff(args.name, args.old, args.new)
        print(result.summary(args.old, args.new))
        for label, columns in result.column_changes():
            print(f"  {label}: {', '.join(columns)}")
        return 0

    return action()


def _use(args: argparse.Namespace) -> int:
    def action() -> int:
        dataset = dataset_store().set_current(args.name, args.version)
        print(f"{shown(dataset.name)}: version {dataset.current_version} is current.")
        return 0

    return action()


def _delete(args: argparse.Namespace) -> int:
    def action() -> int:
        store = dataset_store()
        dataset = store.get(args.name)
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("Deleting needs --yes when there is no terminal to ask.")
            answer = input(
                f"Delete {shown(dataset.name)} and its {dataset.versions} version(s)? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
        store.delete(dataset.name)
        print(f"Deleted {shown(dataset.name)}.")
        return 0

    return action()

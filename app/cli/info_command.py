"""`sparktrainer info`: versions and where the data lives, for bug reports."""

from __future__ import annotations

import argparse
import json

from app.paths import data_paths
from app.versions import component_versions


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="print versions and the data directory")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    paths = data_paths()
    info = {
        "versions": component_versions(),
        "paths": {
            "data": str(paths.root),
            "database": str(paths.database),
            "settings": str(paths.settings_file),
            "logs": str(paths.logs),
        },
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for section, values in info.items():
        print(f"{section.title()}:")
        width = max(map(len, values))
        for name, value in values.items():
            print(f"  {name:<{width}}  {value}")
    return 0

"""Run every benchmark (or those named) and print one table of figures."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from tests.benchmarks.common import Figure, format_table


def discover() -> list[str]:
    folder = Path(__file__).parent
    return sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("names", nargs="*", help="benchmarks to run, e.g. cold_start")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    available = discover()
    wanted = [f"bench_{n.removeprefix('bench_')}" for n in args.names] or available
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(available)}")
    figures: list[Figure] = []
    for name in wanted:
        print(f"running {name} …", file=sys.stderr, flush=True)
        module = importlib.import_module(f"tests.benchmarks.{name}")
        figures += module.run(quick=args.quick)
    print(format_table(figures))
    return 1 if any(f.met is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())

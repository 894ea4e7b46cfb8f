"""The command line: one parser for the GUI and every subcommand.

Each subcommand module exposes `register(subparsers)` and sets `func` on its
parser; `func(args) -> int` is the exit code. Later issues add `dataset`,
`job`, `model` and `engine` here.
"""

from __future__ import annotations

import argparse

from app import APP_NAME, __version__
from app.cli import (
    builder_command,
    dataset_command,
    db_command,
    hardware_command,
    info_command,
    job_command,
    labels_command,
    model_command,
    runtime_command,
    secret_command,
)

_COMMANDS = (
    info_command,
    db_command,
    hardware_command,
    secret_command,
    job_command,
    dataset_command,
    labels_command,
    model_command,
    builder_command,
    runtime_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sparktrainer",
        description=f"{APP_NAME}: from a raw dataset to a trained, tested, exported model. "
        "Without a command, the window opens.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="use DIR as the data directory (default: $SPARKTRAINER_HOME or the platform's)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also log to stderr")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window, visit every pane, print the milliseconds from process start "
        "to the first painted frame, and exit",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.register(subparsers)
    # Dispatched by main.py before this parser runs, so the engine never imports Qt;
    # listed here for --help.
    subparsers.add_parser(
        "engine",
        help="run the training engine: engine run SPEC.json [--control stdin]",
        add_help=False,
    )
    return parser

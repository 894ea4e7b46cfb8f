"""`sparktrainer runtime`: the PyTorch that engines use (app/runtime)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.runtime.install import install_runtime, progress_amount, remove_runtime
from app.runtime.resolve import Cancelled, Offline
from app.runtime.service import bundled_wheelhouse, current_status, runtime_location
from app.runtime.variants import detect_variant, named_variant


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runtime", help="the PyTorch that training uses")
    actions = parser.add_subparsers(dest="runtime_action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="where torch comes from, and its build")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    install = actions.add_parser(
        "install", help="install the PyTorch build for this machine (downloads resume)"
    )
    install.add_argument(
        "--variant", help="cpu, cu126, cu128 or default (macOS); default: by the NVIDIA driver"
    )
    install.add_argument(
        "--wheelhouse", type=Path, help="install from this folder of wheels (offline bundle)"
    )
    install.add_argument("--json", action="store_true", help="progress as JSON lines")
    install.set_defaults(func=_install)
    remove = actions.add_parser("remove", help="delete the private runtime and its downloads")
    remove.set_defaults(func=_remove)
    # `runtime pip …` is dispatched by main.py (the frozen build's own pip); for --help:
    actions.add_parser("pip", help="run the pip this build carries", add_help=False)


def _status(args: argparse.Namespace) -> int:
    status = current_status()
    wheelhouse = bundled_wheelhouse()
    if args.json:
        print(
            json.dumps(
                {
                    "source": status.source,
                    "torch": status.torch_version,
                    "variant": status.variant,
                    "site": str(status.site) if status.site else None,
                    "wheelhouse": str(wheelhouse) if wheelhouse else None,
                }
            )
        )
    else:
        print(status.describe())
        if not status.ready:
            variant = detect_variant()
            print(f"Suggested build: {variant.name} ({variant.reason}), ~{variant.download_mb} MB")
    return 0 if status.ready else 1


class _Reporter:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._phase = ""

    def emit(self, event: str, **fields: Any) -> None:
        print(json.dumps({"event": event, **fields}), flush=True)

    def progress(self, phase: str, done: int, total: int) -> None:
        if self.as_json:
            self.emit("progress", phase=phase, done=done, total=total)
            return
        if phase != self._phase and self._phase:
            print(file=sys.stderr)
        self._phase = phase
        share = f"{100 * done // total:3d}%  {progress_amount(phase, done, total)}" if total else ""
        sys.stderr.write(f"\r{phase}  {share}"[:110])
        sys.stderr.flush()


def _install(args: argparse.Namespace) -> int:
    reporter = _Reporter(args.json)
    stop = threading.Event()
    # The window cancels with SIGTERM: what was downloaded stays for the next try.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    wheelhouse = args.wheelhouse or (None if args.variant else bundled_wheelhouse())
    variant = named_variant(args.variant) if args.variant else detect_variant()
    try:
        status = install_runtime(
            runtime_location(), variant, reporter.progress, stop.is_set, wheelhouse
        )
    except Cancelled:
        if args.json:
            reporter.emit("failed", kind="cancelled", error="Cancelled.", hint="")
        else:
            print("\nCancelled; what was downloaded is kept for the next try.", file=sys.stderr)
        return 3
    except UserError as error:
        if not args.json:
            print(file=sys.stderr)
            raise
        kind = "offline" if isinstance(error, Offline) else "error"
        reporter.emit("failed", kind=kind, error=error.message, hint=error.hint or "")
        return 1
    if args.json:
        reporter.emit("finished", torch=status.torch_version, variant=status.variant)
    else:
        print(f"\n{status.describe()}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    if remove_runtime(runtime_location()):
        print("Removed the private PyTorch runtime.")
    else:
        print("There was no private PyTorch runtime.")
    return 0

"""`engine run SPEC.json [--control stdin]`: the engine process's entry point."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import traceback
from pathlib import Path

from engine.protocol import (
    ENGINE_LOG,
    EXIT_FAILED,
    EXIT_INVALID_SPEC,
    ControlReader,
    EventWriter,
    encode,
    make_event,
    redact,
    redirect_stray_output,
    secret_pattern,
    secrets_from_environment,
)
from engine.run_dirs import SPEC_FILE, NotOurs, claim, hold_run_lock, start_heartbeat
from engine.spec import SpecError, load_spec


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sparktrainer engine",
        description="Run one training job (the job manager's engine process).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="train as SPEC.json says; events go to stdout")
    run.add_argument("spec", type=Path)
    run.add_argument(
        "--control",
        choices=("file", "stdin"),
        default="file",
        help="also read control commands from stdin (control.jsonl always works)",
    )
    run.add_argument(
        "--stderr",
        action="store_true",
        help="keep stderr on the terminal instead of RUN_DIR/engine.log",
    )
    merge = actions.add_parser("merge", help="merge a LoRA adapter into its base model")
    merge.add_argument("adapter", type=Path, help="the adapter folder")
    merge.add_argument("output", type=Path, help="a new folder for the merged model")
    download = actions.add_parser(
        "download", help="download a model from the Hugging Face Hub (token in HF_TOKEN)"
    )
    download.add_argument("repo_id", help="owner/name on the Hub")
    download.add_argument("output", type=Path, help="a new folder for the model")
    download.add_argument("--revision", default=None, help="a branch, tag or commit")
    actions.add_parser("probe", help="import torch and the engine's libraries; answer JSON")
    serve = actions.add_parser(
        "serve", help="the playground's warm worker: JSON-line requests on stdin"
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="exit after this long without a request (default 600)",
    )
    return parser


def _send_stderr_to(log_file: Path, secrets: list[str]) -> threading.Thread | None:
    """All of stderr, C libraries included, appends to engine.log (DESIGN.md §3).

    With secrets in the environment, stderr goes through a pipe whose reader
    redacts them before they reach the file.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stderr.flush()
    if not secrets:
        os.dup2(descriptor, 2)
        os.close(descriptor)
        return None
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    pattern = secret_pattern(secrets)

    def copy() -> None:
        with os.fdopen(read_end, "rb") as source, os.fdopen(descriptor, "wb") as target:
            for line in source:
                target.write(redact(line.decode("utf-8", "replace"), pattern).encode())
                target.flush()

    thread = threading.Thread(target=copy, name="stderr-redactor", daemon=True)
    thread.start()
    return thread


def _drain(redactor: threading.Thread | None) -> None:
    """Let the redacting reader write the last lines before the process ends."""
    if redactor is None:
        return
    sys.stderr.flush()
    os.close(2)  # the pipe's only writer: the reader sees end-of-file
    redactor.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stdout = redirect_stray_output()
    if args.action == "merge":
        from engine.merge import main as merge_main

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return merge_main(args.adapter, args.output, stdout)
    if args.action == "download":
        from engine.hub_download import main as download_main

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return download_main(args.repo_id, args.output, args.revision, stdout)
    if args.action == "probe":
        from engine.probe import main as probe_main

        return probe_main(stdout)
    if args.action == "serve":
        from engine.serve import main as serve_main

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return serve_main(args.idle_timeout, stdout)
    try:
        spec = load_spec(args.spec)
    except SpecError as error:
        print(f"invalid spec: {error}", file=sys.stderr)
        stdout.write(
            encode(
                make_event(
                    "failed", kind="config", error=str(error), traceback="", field=error.field
                )
            )
            + "\n"
        )
        stdout.flush()
        return EXIT_INVALID_SPEC

    try:
        # Before anything is written: never into, or over, a folder that is not ours.
        claim(Path(spec.output_dir), overwrite=spec.overwrite_output)
        hold_run_lock(spec.run_dir)
        start_heartbeat(spec.run_dir)
    except NotOurs as error:
        print(f"refused: {error}", file=sys.stderr)
        stdout.write(
            encode(
                make_event(
                    "failed", kind="config", error=str(error), traceback="", field="output_dir"
                )
            )
            + "\n"
        )
        stdout.flush()
        return EXIT_INVALID_SPEC
    run_dir = spec.run_dir
    secrets = secrets_from_environment()
    redactor = None if args.stderr else _send_stderr_to(run_dir / ENGINE_LOG, secrets)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    copy = run_dir / SPEC_FILE
    if not (copy.exists() and copy.resolve() == args.spec.resolve()):  # never the person's file
        copy.write_text(json.dumps(spec.to_dict(), indent=2))
    events = EventWriter(run_dir, stdout, secrets)
    control = ControlReader(run_dir, stdin=sys.stdin if args.control == "stdin" else None)
    # Before torch is imported (seconds): the job shows it is alive from the start.
    events.emit("progress", phase="starting the engine", done=0, total=1)

    from engine.errors import EngineFailure
    from engine.runtime import is_out_of_memory, tune_allocator
    from engine.trainer import Trainer

    tune_allocator()
    try:
        return Trainer(spec, events, control).run()
    except EngineFailure as failure:
        # The person's to fix (data, config, memory): the one-line message says what; the
        # traceback would only hide it, so it goes to engine.log alone.
        print(traceback.format_exc(), file=sys.stderr)
        events.emit("failed", kind=failure.kind, error=str(failure), traceback="")
    except Exception as error:
        kind = "oom" if is_out_of_memory(error) else "internal"
        traceback.print_exc()
        events.emit(
            "failed",
            kind=kind,
            error=f"{type(error).__name__}: {error}",
            traceback=traceback.format_exc(),
        )
    finally:
        events.close()
        _drain(redactor)
    return EXIT_FAILED

"""SparkTrainer's composition root: parse argv, then start the GUI or a command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Running as `python main.py` from anywhere: the packages live beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if os.name == "posix":
        # Everything we write (database, logs, datasets, runs, engine logs) is 0600 / 0700:
        # other local users read none of it. Engines inherit it.
        os.umask(0o077)
    if argv[:1] == ["--engine-launcher"]:
        # A frozen build has no `python -c`: it runs the launcher's script itself.
        from app.jobs.launcher import LAUNCHER

        sys.argv = argv
        exec(LAUNCHER, {"__name__": "__launcher__"})  # our own constant
        return 70  # the script ends the process; reaching here is a bug
    if argv[:1] == ["engine"]:
        # The engine process: no Qt, no app/ (DESIGN.md §1), so dispatch before anything else.
        _add_engine_site()
        from engine.cli import main as engine_main

        return engine_main(argv[1:])
    if argv[:2] == ["runtime", "pip"]:
        # The frozen build's own pip resolves the runtime's wheels (app/runtime/resolve.py).
        from pip._internal.cli.main import main as pip_main

        return int(pip_main(argv[2:]) or 0)
    from app.cli import build_parser
    from app.paths import HOME_ENV

    args = build_parser().parse_args(argv)
    if args.data_dir:
        os.environ[HOME_ENV] = str(Path(args.data_dir).expanduser().resolve())
    if args.command is None:
        from views.application import run_gui

        return run_gui(args)
    from app.logsetup import configure_logging
    from app.paths import data_paths

    configure_logging(data_paths().app_log, stderr=args.verbose)
    from app.credentials import redaction

    redaction.install()
    from app.errors import UserError

    try:
        return args.func(args)
    except UserError as error:  # a problem the person can fix: said plainly, no traceback
        print(error, file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… | head` has read enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130


def _add_engine_site() -> None:
    """The private runtime's torch (app/runtime), where this install has no torch."""
    from engine.runtime_site import SITE_ENV, activate

    folder = os.environ.get(SITE_ENV)
    if folder:
        activate(folder)


if __name__ == "__main__":
    import multiprocessing

    # A frozen build's spawned data workers (engine/loader.py) start here and unpickle
    # torch objects: the private runtime goes on their path first, as an engine's does.
    _add_engine_site()
    multiprocessing.freeze_support()
    sys.exit(main())

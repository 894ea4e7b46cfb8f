"""`sparktrainer job`: submit, follow and control training from a terminal.

Actions that change the queue go to the running scheduler (the window, or
another terminal's `job submit --wait`) through the single-instance socket;
with none running, this process becomes the scheduler for the action and
leaves its engines training in the background when it exits.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.terminal import shown
from app.errors import UserError
from app.jobs.actions import ACTIONS
from app.launch import shown_command
from app.paths import DataPaths, data_paths

if TYPE_CHECKING:
    from app.jobs.headless import HeadlessScheduler
    from app.jobs.store import JobStore

POLL_SECONDS = 0.5
START_WAIT_S = 60
"""How long a terminal waits for a SparkTrainer that is starting (a second runner
started at the same moment, a window opening) before it gives up."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("job", help="submit, follow and control training jobs")
    actions = parser.add_subparsers(dest="job_action", metavar="ACTION", required=True)

    submit = actions.add_parser("submit", help="queue a job from a spec file")
    submit.add_argument("spec", type=Path, help="a spec JSON file (see README: engine spec)")
    submit.add_argument("--name", default="")
    submit.add_argument("--gpus", type=int, default=0, help="how many GPUs (0: the CPU)")
    submit.add_argument("--priority", type=int, default=0, help="higher runs first")
    submit.add_argument(
        "--wait",
        action="store_true",
        help="follow it with a progress bar and exit with its outcome "
        "(0 completed, 3 stopped, 1 failed or cancelled)",
    )
    submit.set_defaults(func=_submit)

    listing = actions.add_parser("list", help="all jobs, newest last")
    listing.add_argument("--status", help="only jobs with this status")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    show = actions.add_parser("show", help="one job: spec, history, metrics, checkpoints")
    show.add_argument("job_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)

    logs = actions.add_parser("logs", help="the job's events as text")
    logs.add_argument("job_id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until it ends")
    logs.add_argument("--engine-log", action="store_true", help="print engine.log (stderr)")
    logs.set_defaults(func=_logs)

    # One parser per row of the action table (app/jobs/actions.py); a few take more.
    for row in ACTIONS:
        if not row.command:
            continue
        command = actions.add_parser(row.command, help=row.help)
        command.add_argument("job_id")
        command.set_defaults(func=_control, action=row.key)
        if row.key == "resume_from":
            command.add_argument("--checkpoint", default="latest", help="a checkpoint folder")
        elif row.key == "delete":
            command.add_argument("--yes", action="store_true", help="do not ask")
            command.set_defaults(func=_delete)
        elif row.key == "export":
            command.add_argument("-o", "--output", type=Path, help="write to a file instead")
            command.set_defaults(func=_export)

    move = actions.add_parser("move", help="put a queued job before another (or last)")
    move.add_argument("job_id")
    move.add_argument("--before", metavar="JOB_ID", help="the queued job it goes before")
    move.set_defaults(func=_control, action="move")


# -- talking to the scheduler ------------------------------------------------------------------


def _send(
    paths: DataPaths, message: dict[str, Any]
) -> tuple[dict[str, Any], HeadlessScheduler | None]:
    """The reply, and the headless scheduler this process became (None if handed over)."""
    from app.jobs.headless import HeadlessScheduler, ensure_core_application
    from app.jobs.remote import perform
    from app.single_instance import request, socket_name

    ensure_core_application()
    message = {"command": "job", **message}
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        try:
            reply = request(socket_name(paths.root), message)
        except TimeoutError as error:
            raise UserError(f"The running SparkTrainer did not answer: {error}") from error
        if reply is not None and not reply.get("starting"):
            return reply, None
        if reply is None:
            scheduler = HeadlessScheduler(paths)
            if scheduler.acquire():
                return perform(scheduler.start(), message), scheduler
        time.sleep(0.2)  # another process is starting up: ask it again when it is ready
    raise UserError(
        f"Another SparkTrainer holds {paths.lock_file} but has not answered for {START_WAIT_S} s.",
        "If it hangs, end it and try again.",
    )


def open_store(paths: DataPaths) -> JobStore:
    from app.db.database import Database
    from app.jobs.store import JobStore

    if not paths.database.exists():
        raise UserError("There are no jobs yet.")
    return JobStore(Database(paths.database))


# -- actions -----------------------------------------------------------------------------------


def _submit(args: argparse.Namespace) -> int:
    from app.jobs.spec_files import absolute_paths, read_spec

    def action() -> int:
        dropped: dict[str, Any] = {}
        spec = absolute_paths(read_spec(args.spec, dropped), Path.cwd())
        paths = data_paths()
        message = {
            "action": "submit",
            "spec": spec,
            "name": args.name,
            "gpus": args.gpus,
            "priority": args.priority,
        }
        reply, scheduler = _send(paths, message)
        if not reply["ok"]:
            if scheduler is not None:
                scheduler.close()
            print(reply["error"], file=sys.stderr)
            return 2
        job = reply["job"]
        where = "the running SparkTrainer" if scheduler is None else "this terminal"
        print(
            f"Submitted {job['id']} ({shown(job['name'])}): {job['status']}, scheduled by {where}."
        )
        output = job["output_dir"]
        if dropped.get("output_dir") and dropped["output_dir"] != output:
            print(
                f"The model will be in {output} (each job has its own run folder; the "
                f"spec's output_dir {dropped['output_dir']} is not used)."
            )
        else:
            print(f"The model will be in {output}.")
        if args.wait:
            from app.cli.job_follow import Follower

            return Follower(paths, job["id"], scheduler).run()
        if scheduler is not None:
            scheduler.close()
            if job["status"] == "queued":
                print("It waits in the queue: it starts when SparkTrainer opens or a job is ")
                print("submitted with --wait.")
            else:
                print("It trains in the background; SparkTrainer reattaches to it when it opens.")
        follow = shown_command("job", "logs", str(job["id"]), "--follow")
        print(f"Follow it with: {shlex.join(follow)}")
        return 0

    return action()


def _control(args: argparse.Namespace) -> int:
    def action() -> int:
        message = {"action": args.action, "job_id": args.job_id}
        if args.action == "resume_from":
            message["checkpoint"] = args.checkpoint
        if args.action == "move":
            message["before"] = args.before
        reply, scheduler = _send(data_paths(), message)
        if scheduler is not None:
            if args.action == "cancel" and reply["ok"]:
                _wait_until_finished(scheduler, args.job_id)
            scheduler.close()
        if not reply["ok"]:
            print(reply["error"], file=sys.stderr)
            return 1
        job = reply["job"]
        print(f"{args.action.replace('_', ' ')}: {job['id']} is {job['status']}")
        return 0

    return action()


def _wait_until_finished(
    scheduler: HeadlessScheduler, job_id: str, timeout_s: float = 60.0
) -> None:
    """A cancel escalates to signals over seconds: see it through before this process exits."""
    from PySide6.QtCore import QCoreApplication

    from app.jobs.states import ACTIVE

    deadline = time.monotonic() + timeout_s
    while scheduler.jobs.store.get(job_id).status in ACTIVE and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.05)


def _delete(args: argparse.Namespace) -> int:
    def action() -> int:
        store = open_store(data_paths())
        job = store.get(args.job_id)
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("Deleting needs --yes when there is no terminal to ask.")
            answer = input(
                f"Delete job {shown(job.name)} and its run directory {job.run_dir}? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
        reply, scheduler = _send(data_paths(), {"action": "delete", "job_id": job.id})
        if scheduler is not None:
            scheduler.close()
        if not reply["ok"]:
            print(reply["error"], file=sys.stderr)
            return 1
        print(f"Deleted {job.id}.")
        return 0

    return action()


def _list(args: argparse.Namespace) -> int:
    def action() -> int:
        from app.jobs.headless import ensure_core_application, reconcile_ended

        paths = data_paths()
        ensure_core_application()
        reconcile_ended(paths)
        jobs = open_store(paths).jobs() if paths.database.exists() else []
        if args.status:
            jobs = [j for j in jobs if j.status == args.status]
        from app.jobs.remote import job_summary

        if args.json:
            print(json.dumps([job_summary(j) for j in jobs], indent=2))
            return 0
        if not jobs:
            print("No jobs.")
            return 0
        print(f"{'ID':<28} {'STATUS':<10} {'STEP':>11}  {'GPU':<5} NAME")
        for job in jobs:
            step = f"{job.last_step}/{job.total_steps or '?'}"
            gpu = job.assigned_gpus or "-"
            print(f"{job.id:<28} {job.status:<10} {step:>11}  {gpu:<5} {shown(job.name)}")
        return 0

    return action()


def _show(args: argparse.Namespace) -> int:
    def action() -> int:
        from app.jobs.headless import ensure_core_application, reconcile_ended
        from app.jobs.remote import job_summary
        from app.jobs.results import result_text
        from app.jobs.run_files import checkpoint_folders

        ensure_core_application()
        reconcile_ended(data_paths())
        store = open_store(data_paths())
        job = store.get(args.job_id)
        history = store.history(job.id)
        checkpoints = [p.name for p in checkpoint_folders(Path(job.run_dir))]
        latest = {
            name: store.latest_metric(job.id, name)
            for name in ("loss", "eval_loss", "accuracy", "learning_rate")
        }
        latest = {name: value for name, value in latest.items() if value is not None}
        if args.json:
            data = {
                **job_summary(job),
                "spec": job.spec,
                "history": [
                    {
                        "from": t.from_status,
                        "to": t.to_status,
                        "at": t.at.isoformat(),
                        "reason": t.reason,
                    }
                    for t in history
                ],
                "latest_metrics": latest,
                "result": job.result,
                "checkpoints": checkpoints,
            }
            print(json.dumps(data, indent=2, default=str))
            return 0
        print(f"{job.id}  {shown(job.name)}")
        kind = f" ({job.failure_kind})" if job.failure_kind else ""
        print(f"  status      {job.status}{kind}")
        print(f"  progress    step {job.last_step} of {job.total_steps or '?'}")
        model = json.dumps(job.spec.get("model"))
        print(f"  recipe      {job.spec.get('recipe')}  ·  model {model}")
        print(f"  dataset     {job.spec.get('dataset', {}).get('path')}")
        print(f"  run dir     {job.run_dir}")
        if latest:
            print("  latest      " + "  ".join(f"{k} {v:.4g}" for k, v in latest.items()))
        if job.result:
            print(f"  result      {result_text(job.result)}")
            print(f"  model       {job.spec.get('output_dir', '')}")
        if checkpoints:
            print(f"  checkpoints {', '.join(checkpoints)}")
        if job.failure_reason:
            print("  failure     " + job.failure_reason.replace("\n", "\n              "))
        print("  history")
        for t in history:
            before = t.from_status or "-"
            print(f"    {t.at:%Y-%m-%d %H:%M:%S}  {before:>9} → {t.to_status:<9} {t.reason}")
        return 0

    return action()


def _logs(args: argparse.Namespace) -> int:
    def action() -> int:
        from app.jobs.render import ProgressThinning, format_event
        from app.jobs.states import ACTIVE, JobStatus
        from engine.protocol import EVENTS_FILE, EventReader

        store = open_store(data_paths())
        job = store.get(args.job_id)
        run_dir = Path(job.run_dir)
        if args.engine_log:
            log_file = run_dir / "engine.log"
            print(log_file.read_text(errors="replace") if log_file.exists() else "(no engine.log)")
            return 0
        reader = EventReader(run_dir / EVENTS_FILE)
        thinning = ProgressThinning()

        def show_new() -> None:
            while events := reader.read():  # chunk by chunk: a long run prints at once
                for event in events:
                    if thinning.keep(event):
                        print(format_event(event), flush=True)

        waiting = {JobStatus.PENDING, JobStatus.QUEUED, *ACTIVE}
        try:
            while True:
                show_new()
                if not args.follow or store.get(job.id).status not in waiting:
                    show_new()  # what came with the ending
                    return 0
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            return 130

    return action()


def _export(args: argparse.Namespace) -> int:
    def action() -> int:
        from app.jobs.spec_files import spec_text, write_spec

        job = open_store(data_paths()).get(args.job_id)
        if args.output:
            print(f"Wrote {write_spec(job.spec, args.output)}")
        else:
            sys.stdout.write(spec_text(job.spec))
        return 0

    return action()

"""`sparktrainer hardware`: GPUs, system and storage without the window."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from app.paths import data_paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hardware", help="GPUs, CPU, memory and storage")
    actions = parser.add_subparsers(dest="hardware_action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="one reading of the GPUs and the system")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)
    storage = actions.add_parser("storage", help="what the data directory holds")
    storage.set_defaults(func=_storage)
    cleanup = actions.add_parser(
        "cleanup", help="delete old checkpoints, keeping each job's last and best"
    )
    cleanup.add_argument("--yes", action="store_true", help="delete without asking")
    cleanup.set_defaults(func=_cleanup)
    stop = actions.add_parser("stop-engine", help="stop a running engine with a checkpoint")
    stop.add_argument("pid", type=int)
    stop.set_defaults(func=_stop)


def _show(args: argparse.Namespace) -> int:
    import time

    from app.hardware.nvml import NvmlSession
    from app.hardware.system import EngineFinder, SystemSampler

    paths = data_paths()
    engines = EngineFinder(paths.runs).engines()
    sampler = SystemSampler(paths.root)
    time.sleep(0.5)  # CPU percentages are deltas: give them a moment
    gpu, system = NvmlSession().read(engines.get), sampler.read(engines)
    if args.json:
        print(json.dumps({"gpu": asdict(gpu), "system": asdict(system)}, indent=2))
        return 0
    if gpu.unavailable_reason:
        print(gpu.unavailable_reason)
    for g in gpu.gpus:
        used = f"{(g.memory_used or 0) / 1024**3:.1f}/{(g.memory_total or 0) / 1024**3:.1f} GiB"
        print(
            f"GPU {g.index}  {g.name}  {g.utilization}%  {used}  {g.temperature} °C  "
            f"jobs: {', '.join(p.job_id for p in g.processes if p.job_id) or '-'}"
        )
    print(
        f"CPU {system.cpu_percent:.0f}%  RAM {system.memory_used / 1024**3:.1f}/"
        f"{system.memory_total / 1024**3:.1f} GiB  disk {system.disk_used / 1024**3:.0f}/"
        f"{system.disk_total / 1024**3:.0f} GiB"
    )
    for engine in system.engines:
        print(
            f"engine pid {engine.pid}  job {engine.job_id}  CPU {engine.cpu_percent:.0f}%  "
            f"RSS {engine.memory_rss / 1024**2:.0f} MiB"
        )
    return 0


def _storage(_args: argparse.Namespace) -> int:
    from app.hardware.storage import storage_usage

    for item in storage_usage(data_paths()):
        print(f"{item.category:<22} {item.size / 1024**2:>10.1f} MiB  {item.path}")
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    from app.hardware.storage import apply_cleanup, plan_checkpoint_cleanup

    plan = plan_checkpoint_cleanup(data_paths().runs)
    if not plan.remove:
        print("Nothing to clean up: every job keeps only its last and best checkpoints.")
        return 0
    for path in plan.remove:
        print(f"delete {path}")
    print(f"{len(plan.remove)} checkpoints, {plan.bytes_freed / 1024**2:.1f} MiB")
    if not args.yes and input("Delete them? [y/N] ").strip().lower() != "y":
        print("Nothing deleted.")
        return 1
    freed = apply_cleanup(plan)
    print(f"Freed {freed / 1024**2:.1f} MiB.")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from app.errors import UserError
    from app.hardware.engines import stop_engine

    try:
        job = stop_engine(args.pid, data_paths().runs)
    except UserError as error:
        print(error)
        return 1
    print(f"Asked job {job} (pid {args.pid}) to stop with a checkpoint.")
    return 0

"""What the data directory holds, and a cleanup of old checkpoints that keeps each
job's last and best. Both walk the disk: call them off the GUI thread."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from app.paths import DataPaths
from engine.protocol import (
    CHECKPOINT_PREFIX,
    CHECKPOINTS_DIR,
    EVENTS_FILE,
    OUTPUT_DIR,
    complete_checkpoints,
    scan_events,
)


def folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


@dataclass(frozen=True)
class StorageItem:
    category: str
    path: Path
    size: int


def storage_usage(paths: DataPaths) -> list[StorageItem]:
    """Sizes by category; checkpoints are counted apart from the rest of the runs."""
    runs_list = _runs(paths.runs)
    checkpoints = sum(folder_size(c) for run in runs_list for _, c in _checkpoints(run))
    outputs = sum(folder_size(run / OUTPUT_DIR) for run in runs_list)
    runs = folder_size(paths.runs) if paths.runs.exists() else 0
    items = [
        StorageItem("Datasets", paths.datasets, folder_size(paths.datasets)),
        # A job's trained model is its run's output folder; paths.models holds the rest.
        StorageItem("Models", paths.runs, outputs + folder_size(paths.models)),
        StorageItem("Checkpoints", paths.runs, checkpoints),
        StorageItem("Runs (logs, events)", paths.runs, runs - checkpoints - outputs),
        StorageItem("Logs", paths.logs, folder_size(paths.logs)),
    ]
    return items


@dataclass
class CleanupPlan:
    remove: list[Path] = field(default_factory=list)
    keep: list[Path] = field(default_factory=list)
    bytes_freed: int = 0


def _runs(runs_dir: Path) -> list[Path]:
    return sorted(p for p in runs_dir.iterdir() if p.is_dir()) if runs_dir.is_dir() else []


def _checkpoints(run: Path) -> list[tuple[int, Path]]:
    return [
        (int(path.name.removeprefix(CHECKPOINT_PREFIX)), path)
        for path in complete_checkpoints(run / CHECKPOINTS_DIR)
    ]


def _eval_losses(run: Path) -> dict[int, float]:
    """Step → eval_loss from the run's events."""
    losses: dict[int, float] = {}
    for event in scan_events(run / EVENTS_FILE, "eval"):
        value = event.get("values", {}).get("eval_loss")
        if isinstance(value, int | float):
            losses[int(event["step"])] = float(value)
    return losses


def plan_checkpoint_cleanup(runs_dir: Path) -> CleanupPlan:
    """Every checkpoint but each run's newest and its best (lowest eval loss at or before
    the checkpoint's step, when the run evaluated)."""
    plan = CleanupPlan()
    for run in _runs(runs_dir):
        checkpoints = _checkpoints(run)
        if not checkpoints:
            continue
        keep = {checkpoints[-1][1]}
        losses = _eval_losses(run)
        scored = []
        for step, path in checkpoints:
            earlier = [s for s in losses if s <= step]
            if earlier:
                scored.append((losses[max(earlier)], step, path))
        if scored:
            keep.add(min(scored)[2])
        for _step, path in checkpoints:
            if path in keep:
                plan.keep.append(path)
            else:
                plan.remove.append(path)
                plan.bytes_freed += folder_size(path)
    return plan


def apply_cleanup(plan: CleanupPlan) -> int:
    freed = 0
    for path in plan.remove:
        size = folder_size(path)
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            freed += size
    return freed

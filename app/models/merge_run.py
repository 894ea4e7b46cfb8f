"""Merging an adapter into its base in an engine process (`engine merge`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from app.models.engine_task import EngineTask, engine_command, run_blocking, task_environment


def merge_command(adapter: Path, output: Path) -> list[str]:
    return engine_command("merge", str(adapter), str(output))


def merge_blocking(
    adapter: Path, output: Path, on_progress: Callable[[str, int, int], None]
) -> Path:
    return run_blocking(
        merge_command(adapter, output), task_environment(), output, "merge", on_progress
    )


class MergeRun(EngineTask):
    def __init__(self, adapter: Path, output: Path, parent: QObject | None = None) -> None:
        super().__init__(
            merge_command(adapter, output), task_environment(), output, "merge", parent
        )

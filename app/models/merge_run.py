"""Merging an adapter into its base in an engine process (`engine merge`), followed without
blocking: progress and the ending arrive as JSON lines, as a training run's events do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from app.errors import UserError
from app.jobs.engine_env import engine_environment
from engine.protocol import parse_event

ROOT = Path(__file__).resolve().parents[2]


def merge_command(adapter: Path, output: Path) -> list[str]:
    """The engine command line, the one both the window and the terminal run."""
    return [sys.executable, str(ROOT / "main.py"), "engine", "merge", str(adapter), str(output)]


def merge_environment() -> dict[str, str]:
    # A merge is quick on the CPU, and the GPUs are for training.
    return {**engine_environment(os.environ), "CUDA_VISIBLE_DEVICES": ""}


def merge_blocking(
    adapter: Path, output: Path, on_progress: Callable[[str, int, int], None]
) -> Path:
    """The same merge, waited for: for the command line, which has no event loop."""
    error = ""
    with subprocess.Popen(
        merge_command(adapter, output),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=merge_environment(),
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            event = read_line(line)
            if event is not None and event["event"] == "progress":
                on_progress(event["phase"], event["done"], event["total"])
            elif event is not None and event["event"] == "failed":
                error = event["error"]
    if process.returncode != 0 or not output.is_dir():
        raise UserError(f"The merge failed: {error or f'exit code {process.returncode}'}")
    return output


def read_line(line: bytes) -> dict[str, Any] | None:
    try:
        return parse_event(line.decode("utf-8", "replace"))
    except ValueError:
        return None


class MergeRun(QObject):
    progress = Signal(str, int, int)
    """Phase, done, total."""
    finished = Signal(str)
    """The merged model's folder."""
    failed = Signal(str)

    def __init__(self, adapter: Path, output: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.output = output
        self._buffer = b""
        self._error = ""
        self._done = False
        process = self.process = QProcess(self)
        env = QProcessEnvironment()
        for key, value in merge_environment().items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._ended)
        process.errorOccurred.connect(self._error_occurred)
        command = merge_command(adapter, output)
        process.start(command[0], command[1:])

    def cancel(self) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()  # it writes beside the output and renames: nothing half-done

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            event = read_line(line)
            if event is None:
                continue
            if event["event"] == "progress":
                self.progress.emit(event["phase"], event["done"], event["total"])
            elif event["event"] == "failed":
                self._error = event["error"]

    def _ended(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read()
        if self._done:
            return
        self._done = True
        if code == 0 and self.output.is_dir():
            self.finished.emit(str(self.output))
        else:
            self.failed.emit(self._error or f"the merge process ended with code {code}")

    def _error_occurred(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._done:
            self._done = True
            self.failed.emit(f"the merge process could not start: {self.process.errorString()}")

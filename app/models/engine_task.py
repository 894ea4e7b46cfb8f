"""A one-shot engine task (merge, hub download) followed without blocking: progress and
the ending arrive as JSON lines on its stdout, as a training run's events do. Success is
the exit code and the output folder in place; the `failed` event says why otherwise."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal

from app.child_process import process_environment
from app.errors import UserError
from app.jobs.engine_env import engine_environment
from app.launch import self_command
from engine.protocol import parse_event


def engine_command(*arguments: str) -> list[str]:
    """The engine command line, the one both the window and the terminal run."""
    return self_command("engine", *arguments)


def task_environment(secrets: Mapping[str, str] | None = None) -> dict[str, str]:
    # These tasks are quick or network-bound on the CPU, and the GPUs are for training.
    return {**engine_environment(os.environ), "CUDA_VISIBLE_DEVICES": "", **(secrets or {})}


def read_line(line: bytes) -> dict[str, Any] | None:
    try:
        return parse_event(line.decode("utf-8", "replace"))
    except ValueError:
        return None


def run_blocking(
    command: list[str],
    env: Mapping[str, str],
    output: Path,
    what: str,
    on_progress: Callable[[str, int, int], None],
) -> Path:
    """The same task, waited for: for the command line, which has no event loop. Ctrl+C
    ends the engine with it (KeyboardInterrupt reaches the caller)."""
    error = ""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(env)
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                event = read_line(line)
                if event is not None and event["event"] == "progress":
                    on_progress(event["phase"], event["done"], event["total"])
                elif event is not None and event["event"] == "failed":
                    error = event["error"]
        except KeyboardInterrupt:
            process.kill()
            raise
    if process.returncode != 0 or not output.is_dir():
        raise UserError(f"The {what} failed: {error or f'exit code {process.returncode}'}")
    return output


class EngineTask(QObject):
    progress = Signal(str, int, int)
    """Phase, done, total."""
    finished = Signal(str)
    """The output folder."""
    failed = Signal(str)

    def __init__(
        self,
        command: list[str],
        env: Mapping[str, str],
        output: Path,
        what: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.output, self.what = output, what
        self._buffer = b""
        self._error = ""
        self._done = False
        self.cancelled = False
        process = self.process = QProcess(self)
        process.setProcessEnvironment(process_environment(env))
        process.setStandardErrorFile(QProcess.nullDevice())
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._ended)
        process.errorOccurred.connect(self._error_occurred)
        process.start(command[0], command[1:])

    @property
    def running(self) -> bool:
        return not self._done

    def cancel(self) -> None:
        """Each task writes beside its output and renames: a kill leaves nothing
        half-done in place (a download's partial folder is kept, to resume)."""
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.cancelled = True
            self.process.kill()

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
        elif self.cancelled:
            self.failed.emit(f"The {self.what} was cancelled.")
        else:
            self.failed.emit(self._error or f"the {self.what} process ended with code {code}")

    def _error_occurred(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._done:
            self._done = True
            self.failed.emit(
                f"the {self.what} process could not start: {self.process.errorString()}"
            )

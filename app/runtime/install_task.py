"""A runtime install followed without blocking: `sparktrainer runtime install --json` in
its own process, its JSON lines turned into signals. Cancel is SIGTERM, which the command
turns into a clean stop (downloads kept for the next try)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal

from app.child_process import process_environment
from app.launch import child_environment, self_command
from app.runtime.service import install_command


class RuntimeInstall(QObject):
    progress = Signal(str, int, int)
    """Phase, done, total (0: unknown)."""
    finished = Signal(str, str)
    """torch version, variant."""
    failed = Signal(str, str, str)
    """Kind (offline, error, cancelled, crashed), message, hint."""

    def __init__(
        self, variant: str | None, wheelhouse: Path | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._buffer = b""
        self._ended = False
        self._outcome: dict[str, Any] | None = None
        command = self_command(*install_command(variant, wheelhouse))
        process = self.process = QProcess(self)
        process.setProcessEnvironment(process_environment(os.environ, child_environment()))
        process.setStandardErrorFile(QProcess.nullDevice())
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        process.start(command[0], command[1:])

    def cancel(self) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.terminate()

    def running(self) -> bool:
        return not self._ended

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                event: dict[str, Any] = json.loads(line)
            except ValueError:
                continue
            self._handle(event)

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "progress":
            self.progress.emit(str(event["phase"]), int(event["done"]), int(event["total"]))
        elif kind in ("finished", "failed"):
            self._outcome = event  # told once the process has ended: nothing runs after it

    def _on_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read()
        self._ended = True
        event = self._outcome
        if event is not None and event.get("event") == "finished":
            self.finished.emit(str(event.get("torch")), str(event.get("variant")))
        elif event is not None:
            self.failed.emit(str(event["kind"]), str(event["error"]), str(event.get("hint", "")))
        else:
            self.failed.emit("crashed", f"The installer ended unexpectedly (exit code {code}).", "")

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._ended:
            self._ended = True
            self.failed.emit("crashed", f"The installer could not start: {error.name}", "")

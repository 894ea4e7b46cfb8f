"""One engine process: started with QProcess, followed through its events, ended cleanly.

Like qutebrowser's GUIProcess, one class owns the process and sorts every ending
into an `Outcome`. Events are read from RUN_DIR/events.jsonl by byte offset,
whether or not the process is ours: stdout only wakes the reader up. So an
attached engine and one found again after a restart go through the same parser
and no event is read twice or missed. Stopping escalates: the stop command,
then SIGTERM, then SIGKILL of the whole process group (DataLoader workers too).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from engine.protocol import (
    CONTROL_FILE,
    ENGINE_LOG,
    EVENTS_FILE,
    EXIT_COMPLETED,
    EXIT_INVALID_SPEC,
    EXIT_STOPPED,
    command_line,
    parse_event,
)

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
POLL_MS = 100  # events are painted at most ~10 times a second anyway
STOP_GRACE_MS = 60_000  # a checkpoint of a large model takes a while
TERM_GRACE_MS = 15_000
# Puts the engine in its own session (and process group) before it becomes the engine,
# so a stop can signal the group and the window's terminal signals never reach it.
LAUNCHER = "import os, sys; os.setsid(); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"


@dataclass(frozen=True)
class Outcome:
    kind: str
    """completed | stopped | failed | invalid_spec | crashed | killed | vanished"""
    exit_code: int | None
    message: str
    failure_kind: str | None = None


def log_tail(run_dir: Path, lines: int = 20) -> str:
    try:
        text = (run_dir / ENGINE_LOG).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class EventReader:
    """events.jsonl from a byte offset; a partial last line waits for its end."""

    def __init__(self, run_dir: Path, offset: int = 0) -> None:
        self.path = run_dir / EVENTS_FILE
        self.offset = offset

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        events = []
        for line in data[:end].split(b"\n"):
            if not line.strip():
                continue
            try:
                events.append(parse_event(line.decode("utf-8", "replace")))
            except ValueError:
                events.append(
                    {
                        "event": "log",
                        "level": "warning",
                        "time": 0.0,
                        "message": f"unreadable event line: {line[:200]!r}",
                    }
                )
        return events


class EngineSupervisor(QObject):
    events_received = Signal(list)
    """A batch of parsed events, in order."""
    started = Signal(int)
    """The engine's pid."""
    ended = Signal(object)
    """The `Outcome`."""

    def __init__(
        self, run_dir: Path, parent: QObject | None = None, *, events_offset: int = 0
    ) -> None:
        super().__init__(parent)
        self.run_dir = run_dir
        self.reader = EventReader(run_dir, events_offset)
        self.process: QProcess | None = None
        self.pid: int | None = None
        self._last_event: dict[str, Any] | None = None
        self._failed: dict[str, Any] | None = None
        self._stop_requested = False
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._read_events)
        self._escalation = QTimer(self, singleShot=True)
        self._escalation.timeout.connect(self._escalate)
        self._escalation_step = 0

    # -- start -----------------------------------------------------------------------------

    def start(
        self,
        spec_path: Path,
        environment: dict[str, str] | None = None,
        cuda_visible_devices: str | None = None,
    ) -> None:
        process = self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        # "" hides every GPU: a CPU job must not grab one by accident.
        env.insert("CUDA_VISIBLE_DEVICES", cuda_visible_devices or "")
        for key, value in (environment or {}).items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.setWorkingDirectory(str(ROOT))
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.readyReadStandardOutput.connect(self._on_stdout)
        process.readyReadStandardError.connect(lambda: process.readAllStandardError())
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        process.start(
            sys.executable,
            [
                "-c",
                LAUNCHER,
                str(ROOT / "main.py"),
                "engine",
                "run",
                str(spec_path),
                "--control",
                "stdin",
            ],
        )
        if process.waitForStarted(10_000):
            self.pid = int(process.processId())
            self._poll.start()
            self.started.emit(self.pid)

    # -- events ----------------------------------------------------------------------------

    def _on_stdout(self) -> None:
        assert self.process is not None
        self.process.readAllStandardOutput()  # the file is the record; this is a wake-up
        self._read_events()

    def _read_events(self) -> None:
        events = self.reader.read()
        if not events:
            return
        for event in events:
            if event["event"] == "failed":
                self._failed = event
        self._last_event = events[-1]
        self.events_received.emit(events)

    # -- control ---------------------------------------------------------------------------

    def send(self, command: str) -> None:
        """pause | resume | stop | checkpoint: to control.jsonl, and stdin while attached."""
        line = command_line(command)
        with (self.run_dir / CONTROL_FILE).open("a") as handle:
            handle.write(line)
        if self.process is not None and self.process.state() == QProcess.ProcessState.Running:
            self.process.write(line.encode())

    def stop(self, grace_ms: int = STOP_GRACE_MS) -> None:
        """Checkpoint and stop; then SIGTERM, then SIGKILL of the group if it lingers."""
        self._stop_requested = True
        self.send("stop")
        self._escalation_step = 0
        self._escalation.start(grace_ms)

    def _escalate(self) -> None:
        if self.pid is None or not self.running:
            return
        sig = signal.SIGTERM if self._escalation_step == 0 else signal.SIGKILL
        log.warning("Engine %s did not stop in time: sending %s to its group", self.pid, sig.name)
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            return
        self._escalation_step += 1
        if sig == signal.SIGTERM:
            self._escalation.start(TERM_GRACE_MS)

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    # -- endings ---------------------------------------------------------------------------

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._poll.stop()
            self.ended.emit(
                Outcome(
                    "crashed",
                    None,
                    "the engine could not be started: "
                    f"{self.process.errorString() if self.process else ''}",
                )
            )

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._poll.stop()
        self._escalation.stop()
        self._read_events()
        self.ended.emit(self.classify(exit_code, status))

    def classify(self, exit_code: int, status: QProcess.ExitStatus) -> Outcome:
        last = self._last_event or {}
        if status == QProcess.ExitStatus.CrashExit:
            return Outcome(
                "killed",
                None,
                "the engine was killed by a signal"
                + (" after a stop request" if self._stop_requested else "")
                + f".\n{log_tail(self.run_dir)}",
            )
        if exit_code == EXIT_COMPLETED and last.get("event") == "completed":
            return Outcome("completed", exit_code, "completed")
        if exit_code == EXIT_STOPPED:
            return Outcome(
                "stopped", exit_code, f"stopped at step {last.get('step', '?')} with a checkpoint"
            )
        if exit_code == EXIT_INVALID_SPEC:
            error = (self._failed or {}).get("error", "invalid spec")
            return Outcome("invalid_spec", exit_code, error, "config")
        if self._failed is not None:
            return Outcome(
                "failed",
                exit_code,
                self._failed.get("error", ""),
                self._failed.get("kind", "internal"),
            )
        # An uncaught exception: Python exits 1 (QProcess calls that a normal exit).
        return Outcome(
            "crashed",
            exit_code,
            f"the engine exited with code {exit_code} "
            f"without reporting why.\n{log_tail(self.run_dir)}",
        )

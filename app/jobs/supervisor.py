"""One engine process: started with QProcess, followed through its events, ended cleanly.

Like qutebrowser's GUIProcess, one class owns the process and sorts every ending
into an `Outcome`. Events are read from RUN_DIR/events.jsonl by byte offset,
whether or not the process is ours: stdout only wakes the reader up. So an
attached engine and one found again after a restart go through the same parser
and no event is read twice or missed. Reading, parsing and the owner's `sink`
(which stores them) run off the GUI thread in bounded chunks, one chunk in
flight at a time: a backlog of 300,000 events left by a night's run is caught
up chunk after chunk while the window keeps painting. Stopping escalates: the stop command,
then SIGTERM, then SIGKILL of the whole process group (DataLoader workers too).

QProcess kills its child when it is destroyed, and training must outlive the
window (DESIGN.md §1). So QProcess starts a tiny launcher that opens a new
session, forks the engine, tells us its pid on stderr and waits for it, exiting
as the engine did (the same code, or the same signal). When the app goes away
the launcher dies and the engine trains on; the next app reattaches to it by pid.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from app.child_process import process_environment
from app.errors import StorageFull
from app.jobs.endings import Outcome, classify_detached, classify_exit
from app.jobs.engine_env import engine_environment
from app.jobs.launch_record import LAUNCH_GRACE_S, find_engine, record_launch
from app.jobs.launcher import LAUNCHER
from app.jobs.watchdog import Watchdog
from app.launch import ROOT, launcher_command
from app.processes import process_alive as engine_alive
from app.tasks import TaskState, report_error, run_task
from engine.protocol import (
    CONTROL_FILE,
    EVENTS_FILE,
    EventReader,
    command_line,
    last_event,
)

log = logging.getLogger(__name__)

POLL_MS = 100  # events are painted at most ~10 times a second anyway
STOP_GRACE_MS = 60_000  # a checkpoint of a large model takes a while
TERM_GRACE_MS = 15_000
ALIVE_CHECK_MS = 1_000
WATCH_MS = 2_000
HUNG_GRACE_MS = 10_000
"""A stop of an engine that does not respond escalates after this, not a minute."""
RELEASE_WAIT_S = 5.0
LAUNCH_WAIT_S = 10.0
STORE_RETRY_MS = 2_000
"""How soon events that could not be stored (a full disk) are tried again."""

Sink = Callable[[list[dict[str, Any]], int], None]
"""Stores a chunk of events and the offset after them; runs in a worker thread."""


class EngineSupervisor(QObject):
    """One engine: launched here (`start`) or found again after a restart (`attach`)."""

    events_received = Signal(object)  # a list of events; `object` passes it without a copy
    """A batch of parsed events, in order (already given to the sink)."""
    backlog_changed = Signal(int)
    """About how many written events are still unread: 0 once caught up."""
    started = Signal(int)
    """The engine's pid, once known."""
    ended = Signal(object)
    """The `Outcome`."""
    responding_changed = Signal(str)
    """Why the engine looks hung ("" once it responds again): see watchdog.py."""
    storage_changed = Signal(str)
    """Why its events cannot be stored (a full disk), "" once they can again."""

    def __init__(
        self,
        run_dir: Path,
        parent: QObject | None = None,
        *,
        events_offset: int = 0,
        sink: Sink | None = None,
    ) -> None:
        super().__init__(parent)
        self.run_dir = run_dir
        self.reader = EventReader(run_dir / EVENTS_FILE, events_offset)
        self._sink = sink
        self._reading: threading.Event | None = None
        """Set when the chunk in flight is done; None when no read is in flight."""
        self._read_again = False
        self._chunk_failed = False
        self._retry_after = 0.0
        self.storage_problem = ""
        """Why events cannot be stored now (a full disk), or "" when they can."""
        self._ending: Callable[[], Outcome] | None = None
        """How to classify the ending once every event is read (the engine is gone)."""
        self._released = False
        self.backlog = 0
        self.process: QProcess | None = None
        self.pid: int | None = None
        """The engine's pid (the launcher's child)."""
        self.group: int | None = None
        """The engine's process group: what a stop escalation signals."""
        self._start_time: float | None = None
        self._stderr = b""
        self._last_event: dict[str, Any] | None = None
        self._failed: dict[str, Any] | None = None
        self._stop_requested = False
        self._ended = False
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._read_events)
        self._alive = QTimer(self, interval=ALIVE_CHECK_MS)
        self._alive.timeout.connect(self._check_alive)
        self.watchdog = Watchdog(run_dir)
        self.hung = ""
        self._watch = QTimer(self, interval=WATCH_MS)
        self._watch.timeout.connect(self._check_responding)
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
        """Launch the engine; `started` follows with its pid, or `ended` if it cannot start."""
        process = self.process = QProcess(self)
        # Nothing of the shell's but what runs it; "" hides every GPU: a CPU job must not
        # grab one by accident.
        devices = {"PYTHONUNBUFFERED": "1", "CUDA_VISIBLE_DEVICES": cuda_visible_devices or ""}
        env = process_environment(engine_environment(os.environ), devices, environment or {})
        process.setProcessEnvironment(env)
        process.setWorkingDirectory(str(ROOT))
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.readyReadStandardOutput.connect(self._on_stdout)
        process.readyReadStandardError.connect(self._on_stderr)
        process.started.connect(self._on_process_started)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        command = launcher_command(LAUNCHER, "engine", "run", str(spec_path), "--control", "stdin")
        process.start(command[0], command[1:])

    def _on_process_started(self) -> None:
        assert self.process is not None
        self.group = int(self.process.processId())  # the launcher leads the new session
        record_launch(self.run_dir, self.group)
        self._poll.start()
        self._watch.start()

    def _on_stderr(self) -> None:
        assert self.process is not None
        data = bytes(self.process.readAllStandardError().data())
        if self.pid is not None:
            return  # nothing else is expected from the launcher
        self._stderr += data
        line, newline, _rest = self._stderr.partition(b"\n")
        if newline and line.strip().isdigit():
            self.pid = int(line)
            with contextlib.suppress(psutil.Error):
                self._start_time = psutil.Process(self.pid).create_time()
            self.started.emit(self.pid)

    def attach(self, pid: int, start_time: float | None) -> bool:
        """Follow an engine started by an earlier app; False when it is gone."""
        if not engine_alive(pid, start_time):
            return False
        self.pid, self._start_time = pid, start_time
        with contextlib.suppress(OSError):
            self.group = os.getpgid(pid)
        self._poll.start()
        self._alive.start()
        self._watch.start()
        return True

    def find_again(self) -> None:
        """Follow an engine whose pid never reached the database (the app died in the launch
        window): found by its run folder (launch_record.py), or gone after the grace."""
        deadline = time.monotonic() + LAUNCH_GRACE_S
        search = QTimer(self, interval=ALIVE_CHECK_MS // 4)

        def look() -> None:
            found = find_engine(self.run_dir)
            if found is None and time.monotonic() < deadline:
                return
            search.stop()
            if found is not None and self.attach(*found):
                self.started.emit(found[0])
            else:
                self.finish_detached()

        search.timeout.connect(look)
        search.start()
        look()

    def finish_detached(self) -> None:
        """Ingest what a gone engine left (in chunks, off the GUI thread), then report how
        it ended."""
        self._end_after_reading(self.classify_detached)

    @property
    def start_time(self) -> float | None:
        return self._start_time

    # -- events ----------------------------------------------------------------------------

    def _on_stdout(self) -> None:
        assert self.process is not None
        self.process.readAllStandardOutput()  # the file is the record; this is a wake-up
        self._read_events()

    def _read_events(self) -> None:
        """Read, parse and sink the next chunk in a worker; one chunk in flight at a time."""
        if self._reading is not None:
            self._read_again = True  # what arrives meanwhile is read right after
            return
        wait_s = self._retry_after - time.monotonic()
        if wait_s > 0:  # the disk was full a moment ago: not a failing write every poll
            if self._ending is not None and not self._released:  # no poll timer now
                QTimer.singleShot(int(wait_s * 1000) + 50, self, self._read_events)
            return
        done = self._reading = threading.Event()
        reader, sink = self.reader, self._sink

        def work(_state: TaskState) -> tuple[list[dict[str, Any]], int]:
            try:
                start = reader.offset
                events = reader.read()
                if events and sink is not None:
                    try:
                        sink(events, reader.offset)
                    except BaseException:
                        reader.offset = start  # not stored: read them again next time
                        raise
                return events, reader.remaining_events() if reader.more else 0
            finally:
                done.set()

        run_task(
            work,
            on_done=self._on_chunk,
            on_error=self._on_chunk_not_stored,
            on_finished=self._on_chunk_finished,
            context=self,
        )

    def _on_chunk_not_stored(self, error: BaseException, _text: str) -> None:
        """The sink could not store a chunk (a full disk: `StorageFull`); the reader went
        back, so it is read again later, and the ending waits until it is stored."""
        if not isinstance(error, StorageFull):
            report_error(error, _text)
            return
        self._chunk_failed = True
        self._retry_after = time.monotonic() + STORE_RETRY_MS / 1000
        if not self.storage_problem:
            log.warning("Events of %s not stored: %s", self.run_dir.name, error)
            self.storage_problem = str(error)
            self.storage_changed.emit(self.storage_problem)

    def _on_chunk(self, result: tuple[list[dict[str, Any]], int]) -> None:
        events, backlog = result
        if self.storage_problem:
            self.storage_problem = ""
            self.storage_changed.emit("")
        if events:
            for event in events:
                if event["event"] == "failed":
                    self._failed = event
            self._last_event = events[-1]
            self.watchdog.observe(events)
            self.events_received.emit(events)
        if backlog != self.backlog:
            self.backlog = backlog
            self.backlog_changed.emit(backlog)
        if self.reader.more:
            self._read_again = True  # a backlog: the next chunk at once, not in 100 ms

    def _on_chunk_finished(self) -> None:
        self._reading = None
        if self._chunk_failed:
            self._chunk_failed = False
            if self._ending is not None and not self._released:  # no poll timer now
                self._read_events()  # waits until the retry is due
            return
        if self._read_again and not self._released:
            self._read_again = False
            self._read_events()
        elif self._ending is not None and not self._released:
            classify, self._ending = self._ending, None
            self._end(classify())

    def _end_after_reading(self, classify: Callable[[], Outcome]) -> None:
        """The engine is gone: read everything it wrote, then end with `classify()`."""
        self._poll.stop()
        self._alive.stop()
        self._watch.stop()
        self._ending = classify
        self._read_events()

    # -- control ---------------------------------------------------------------------------

    def send(self, command: str) -> None:
        """pause | resume | stop | checkpoint: to control.jsonl, and stdin while attached."""
        line = command_line(command)
        with (self.run_dir / CONTROL_FILE).open("a") as handle:
            handle.write(line)
        if self.process is not None and self.process.state() == QProcess.ProcessState.Running:
            self.process.write(line.encode())

    def stop(self, grace_ms: int = STOP_GRACE_MS) -> None:
        """Checkpoint and stop; then SIGTERM, then SIGKILL of the group if it lingers. A
        stopped (SIGSTOP) or frozen engine is continued first and gets a short grace; one
        that is merely quiet (a long evaluation) keeps the full grace."""
        self._stop_requested = True
        if self.group is not None and self.watchdog.frozen(self.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.group, signal.SIGCONT)
            grace_ms = min(grace_ms, HUNG_GRACE_MS)
        self.send("stop")
        self._escalation_step = 0
        self._escalation.start(grace_ms)

    def _escalate(self) -> None:
        if self.group is None or not self.running:
            return
        sig = signal.SIGTERM if self._escalation_step == 0 else signal.SIGKILL
        log.warning("Engine %s did not stop in time: sending %s to its group", self.pid, sig.name)
        try:
            os.killpg(self.group, sig)
        except ProcessLookupError:
            return
        self._escalation_step += 1
        if sig == signal.SIGTERM:
            self._escalation.start(TERM_GRACE_MS)

    def kill(self) -> None:
        """SIGKILL to the whole group: the engine, its workers and the launcher."""
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.group, signal.SIGKILL)

    def release(self) -> None:
        """Let the engine train on without us: only the launcher goes (the app is quitting).
        A chunk being stored is finished first (briefly), so the stored offset is true."""
        self._poll.stop()
        self._alive.stop()
        self._watch.stop()
        self._escalation.stop()
        self._released = True
        self._ending = None
        reading = self._reading
        if reading is not None and not reading.wait(RELEASE_WAIT_S):
            log.warning("Engine %s: a chunk of events was still being stored", self.pid)
        self._ended = True
        process = self.process
        if process is not None and self.pid is None:
            self._wait_for_engine_pid(process)
        self.process = None
        if process is not None and process.state() != QProcess.ProcessState.NotRunning:
            process.blockSignals(True)  # its ending is not the engine's
            process.kill()  # the launcher's pid alone, never the group
            process.waitForFinished(2_000)

    def _wait_for_engine_pid(self, process: QProcess) -> None:
        """A launcher killed before it forked would take the engine with it, and without
        the engine's pid in the database the next start cannot find it: a terminal's
        `job submit` quits right after starting one. Wait (briefly) for the fork."""
        deadline = time.monotonic() + LAUNCH_WAIT_S
        process.setReadChannel(QProcess.ProcessChannel.StandardError)
        while self.pid is None and time.monotonic() < deadline:
            state = process.state()
            if state == QProcess.ProcessState.NotRunning:
                return
            if state == QProcess.ProcessState.Starting:
                process.waitForStarted(100)
            else:
                process.waitForReadyRead(100)  # delivers stderr: `_on_stderr` sets the pid
        if self.pid is None:
            log.warning("The engine launcher gave no pid within %.0f s", LAUNCH_WAIT_S)

    @property
    def running(self) -> bool:
        if self.process is not None:
            return self.process.state() != QProcess.ProcessState.NotRunning
        return self.pid is not None and not self._ended and engine_alive(self.pid, self._start_time)

    @property
    def reading(self) -> bool:
        """A chunk of events is being read or its events not yet delivered."""
        return self._reading is not None

    @property
    def attached(self) -> bool:
        """Found again after a restart: no launcher, no stdin, no exit code."""
        return self.process is None and self.pid is not None

    # -- endings ---------------------------------------------------------------------------

    def _end(self, outcome: Outcome) -> None:
        if self._ended:
            return
        self._ended = True
        self._poll.stop()
        self._alive.stop()
        self._watch.stop()
        self._escalation.stop()
        self.ended.emit(outcome)

    def _check_responding(self) -> None:
        problem = self.watchdog.problem(self.pid) or ""
        if problem != self.hung:
            self.hung = problem
            if problem:
                log.warning("Engine %s is not responding: %s", self.pid, problem)
            self.responding_changed.emit(problem)

    def _check_alive(self) -> None:
        if self.pid is not None and not engine_alive(self.pid, self._start_time):
            self.finish_detached()

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._end(
                Outcome(
                    "crashed",
                    None,
                    "the engine could not be started: "
                    f"{self.process.errorString() if self.process else ''}",
                )
            )

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._end_after_reading(lambda: self.classify(exit_code, status))

    def classify(self, exit_code: int, status: QProcess.ExitStatus) -> Outcome:
        return classify_exit(
            exit_code,
            crashed=status == QProcess.ExitStatus.CrashExit,
            last=self._last_event or {},
            failed=self._failed,
            stop_requested=self._stop_requested,
            run_dir=self.run_dir,
        )

    def classify_detached(self) -> Outcome:
        """No exit code to go by: the last event says how it ended, or that it vanished."""
        last = self._last_event or last_event(self.reader.path) or {}
        return classify_detached(last, self._failed, self.run_dir)

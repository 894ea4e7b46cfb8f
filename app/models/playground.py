"""The playground's warm worker (`engine serve`), driven without ever waiting on it.

A session owns one worker process holding one model. Requests go out as JSON lines and
their answers come back as signals; the GUI never blocks on a request. The worker exits
by itself after the idle time the settings give, and a crash is reported: either way the
next request starts a fresh worker, which loads the model again first.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal

from app.child_process import process_environment
from app.errors import UserError
from app.jobs.engine_env import engine_environment
from app.jobs.store import Job
from app.launch import self_command
from app.models.store import ModelRecord
from engine.protocol import CHECKPOINTS_DIR, OUTPUT_DIR, complete_checkpoints
from engine.run_dirs import SPEC_FILE

STDERR_KEPT = 40
"""Lines of the worker's stderr kept for a crash report."""
GENERATING = "causal_lm_sft"


@dataclass(frozen=True)
class Target:
    """What to load: a model folder, or a checkpoint with its run's spec."""

    name: str
    path: Path | None = None
    spec: Path | None = None
    checkpoint: Path | None = None

    def load_request(self) -> dict[str, Any]:
        if self.checkpoint is not None:
            return {"op": "load", "spec": str(self.spec), "checkpoint": str(self.checkpoint)}
        return {"op": "load", "path": str(self.path)}


def target_for_model(model: ModelRecord) -> Target:
    if model.folder is None:
        raise UserError(
            f"{model.name} is a built-in preset with random weights: train it on a dataset "
            "first, then try the model the job makes."
        )
    if model.task not in ("causal_lm_sft", "text_classification", "image_classification"):
        raise UserError(f"The playground cannot try a {model.task_name} model.")
    return Target(model.name, path=model.folder)


def targets_for_job(job: Job) -> list[Target]:
    return run_targets(job.name, Path(job.run_dir))


def run_targets(name: str, run_dir: Path) -> list[Target]:
    """A run's model (once completed) and its checkpoints, newest first."""
    found = []
    output = run_dir / OUTPUT_DIR
    if (output / "config.json").is_file() or (output / "adapter_config.json").is_file():
        found.append(Target(f"{name} (final model)", path=output))
    for checkpoint in reversed(complete_checkpoints(run_dir / CHECKPOINTS_DIR)):
        found.append(
            Target(f"{name} at {checkpoint.name}", spec=run_dir / SPEC_FILE, checkpoint=checkpoint)
        )
    return found


def model_targets(model: ModelRecord, job: Job | None) -> list[Target]:
    """A model, then the checkpoints of the job that made it (newest first)."""
    return [target_for_model(model)] + [
        t for t in (targets_for_job(job) if job is not None else []) if t.checkpoint is not None
    ]


def serve_command(idle_seconds: float) -> list[str]:
    """The worker's command line, the same for the window and the terminal."""
    return self_command("engine", "serve", "--idle-timeout", str(idle_seconds))


def answer_of(line: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return None
    return answer if isinstance(answer, dict) and "event" in answer else None


class PlaygroundSession(QObject):
    """One warm worker. `state` is "stopped", "loading", "ready" or "busy"."""

    loaded = Signal(dict)
    """The load result: task, labels, prompt_format, chat_template, parameters, device."""
    prompt = Signal(int, str)
    """A generation's prompt exactly as the model receives it."""
    token = Signal(int, str)
    progress = Signal(int, int, int)
    result = Signal(int, dict)
    failed = Signal(int, str)
    """A request that ended in an error (request id, message)."""
    crashed = Signal(str)
    state_changed = Signal(str)

    def __init__(self, idle_seconds: Callable[[], float], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._idle_seconds = idle_seconds
        self.process: QProcess | None = None
        self.target: Target | None = None
        self.info: dict[str, Any] | None = None
        self.state = "stopped"
        self._next_id = 0
        self._pending: dict[int, dict[str, Any]] = {}
        self._load_id: int | None = None
        self._buffer = b""
        self._stderr: list[str] = []
        self._closing = False

    # -- requests --------------------------------------------------------------------------

    def load(self, target: Target) -> int:
        """Load `target` (into the running worker, or a new one)."""
        self.target, self.info = target, None
        return self._send_load()

    def generate(self, **request: Any) -> int:
        return self._request({"op": "generate", **request})

    def classify(self, **request: Any) -> int:
        return self._request({"op": "classify", **request})

    def cancel(self, request_id: int) -> None:
        if request_id in self._pending and self.process is not None:
            self._write({"id": self._new_id(), "op": "cancel", "target": request_id})

    def shutdown(self) -> None:
        """End the worker now (the window closes): it holds nothing that needs saving."""
        self._closing = True
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(1000)

    # -- internals -------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _send_load(self) -> int:
        if self.target is None:
            raise UserError("Choose a model to try first.")
        request_id = self._new_id()
        self._load_id = request_id
        request = {"id": request_id, **self.target.load_request()}
        self._pending[request_id] = request
        self._ensure_worker()
        self._write(request)
        self._set_state("loading")
        return request_id

    def _request(self, request: dict[str, Any]) -> int:
        if self.target is None:
            raise UserError("Choose a model to try first.")
        if self.process is None:
            self._send_load()  # a fresh worker: the model goes in first
        request_id = self._new_id()
        request = {"id": request_id, **request}
        self._pending[request_id] = request
        self._write(request)
        if self.state == "ready":
            self._set_state("busy")
        return request_id

    def _ensure_worker(self) -> None:
        if self.process is not None:
            return
        process = self.process = QProcess(self)
        process.setProcessEnvironment(process_environment(engine_environment(os.environ)))
        process.readyReadStandardOutput.connect(self._read)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._ended)
        process.errorOccurred.connect(self._error_occurred)
        self._buffer, self._stderr = b"", []
        command = serve_command(self._idle_seconds())
        process.start(command[0], command[1:])

    def _write(self, request: dict[str, Any]) -> None:
        assert self.process is not None
        self.process.write((json.dumps(request) + "\n").encode())

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def _read(self) -> None:
        if self.process is None:
            return
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            answer = answer_of(line)
            if answer is not None:
                self._dispatch(answer)

    def _dispatch(self, answer: dict[str, Any]) -> None:
        request_id, event = answer.get("id"), answer["event"]
        if not isinstance(request_id, int) or request_id not in self._pending:
            return  # a cancel's own answer, or a line for no request of ours
        if event == "token":
            if "prompt" in answer:
                self.prompt.emit(request_id, str(answer["prompt"]))
            if answer.get("text"):
                self.token.emit(request_id, str(answer["text"]))
            return
        if event == "progress":
            self.progress.emit(request_id, int(answer["done"]), int(answer["total"]))
            return
        self._pending.pop(request_id)
        fields = {k: v for k, v in answer.items() if k not in ("id", "event")}
        if request_id == self._load_id:
            self._load_id = None
            if event == "result":
                self.info = fields
                self.loaded.emit(fields)
        if event == "result":
            self.result.emit(request_id, fields)
        else:
            self.failed.emit(request_id, str(answer.get("error", "failed")))
        if self._load_id is None:
            self._set_state("busy" if self._pending else "ready" if self.info else "stopped")

    def _read_stderr(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        self._stderr = (self._stderr + text.splitlines())[-STDERR_KEPT:]

    def _ended(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        self._read_stderr()
        process, self.process = self.process, None
        if process is not None:
            process.deleteLater()
        pending = [self._pending[k] for k in sorted(self._pending)]
        self._pending.clear()
        self._load_id = None
        self.info = None
        self._set_state("stopped")
        if self._closing:
            return
        normal = status == QProcess.ExitStatus.NormalExit and code == 0
        if normal and pending:
            # It left for idleness just as requests arrived: they go to a fresh worker.
            for request in pending:
                if request["op"] == "load":
                    continue
                self._request({k: v for k, v in request.items() if k != "id"})
            return
        if normal:
            return
        detail = "\n".join(self._stderr[-12:])
        how = f"exit code {code}" if status == QProcess.ExitStatus.NormalExit else "a crash"
        message = f"The playground process ended with {how}."
        for request in pending:
            self.failed.emit(request["id"], message)
        self.crashed.emit(f"{message}\n{detail}".strip())

    def _error_occurred(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            message = f"The playground could not start: {self.process.errorString()}"
            process, self.process = self.process, None
            process.deleteLater()
            for request_id in sorted(self._pending):
                self.failed.emit(request_id, message)
            self._pending.clear()
            self._set_state("stopped")
            self.crashed.emit(message)


def try_blocking(
    target: Target, request: dict[str, Any], on_answer: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Load and run one request in a worker that ends afterwards: the command line's path.
    Every answer goes to `on_answer`; returns the request's result (UserError on an error)."""
    requests = [{"id": 1, **target.load_request()}, {"id": 2, **request}]
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            serve_command(60.0),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,  # a file, not a pipe: a chatty library cannot fill it and hang us
            env=engine_environment(os.environ),
        ) as process,
    ):
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("".join(json.dumps(r) + "\n" for r in requests).encode())
        process.stdin.close()
        outcome: dict[str, Any] | None = None
        for answer in _answers(process.stdout):
            on_answer(answer)
            if answer["event"] == "error":
                raise UserError(f"The playground: {answer.get('error')}")
            if answer["event"] == "result" and answer.get("id") == 2:
                outcome = answer
        process.wait()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if outcome is None:
        tail = "\n".join(stderr.splitlines()[-8:])
        raise UserError(f"The playground ended with exit code {process.returncode}.\n{tail}")
    return outcome


def _answers(stream: Any) -> Iterator[dict[str, Any]]:
    for line in stream:
        answer = answer_of(line)
        if answer is not None:
            yield answer

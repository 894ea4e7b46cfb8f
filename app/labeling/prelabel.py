"""Pre-labeling: a registered classifier proposes a class for every unlabeled sample, in an
engine worker (`engine serve`, the playground's), a chunk at a time so the device stays
busy, with progress and cancel between chunks. Proposals are suggestions with the model's
confidence; they become labels only when the person accepts them."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from app.errors import UserError
from app.jobs.engine_env import engine_environment
from app.labeling.service import LabelingService
from app.labeling.store import Project, Suggestion
from app.models.playground import answer_of, serve_command, target_for_model
from app.models.store import ModelRecord
from app.tasks import TaskCancelled, TaskState

CHUNK = 256
"""Samples per classify request: the worker batches them for the device; between two
requests a cancel is seen."""


@dataclass(frozen=True)
class PrelabelResult:
    suggested: int
    unmatched: int
    """Predictions of a class the project does not have (left out)."""
    cancelled: bool


def prelabel(
    labeling: LabelingService,
    project: Project,
    model: ModelRecord,
    state: TaskState | None = None,
) -> PrelabelResult:
    """Suggestions for the project's unlabeled samples (and skipped ones) from `model`."""
    if model.task != project.kind:
        raise UserError(
            f"{model.name} is a {model.task_name} model; {project.name} needs a "
            f"{project.kind.replace('_', ' ')} model."
        )
    target = target_for_model(model)
    labels = labeling.labels(project)
    total = labeling.sample_count(project)
    samples = [i for i in range(total) if i not in labels or labels[i].skipped]
    classes = {name.casefold(): name for name in project.class_names}
    suggested = unmatched = 0
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            serve_command(60.0),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=engine_environment(os.environ),
        ) as process,
    ):
        worker = _Worker(process, errors)
        try:
            loaded = worker.ask({"op": "load", **_load(target)})
            model_classes = [str(name) for name in loaded.get("labels", [])]
            if not any(name.casefold() in classes for name in model_classes):
                raise UserError(
                    f"{model.name} knows the classes {', '.join(model_classes) or '(none)'}; "
                    f"none of them is one of {project.name}'s ({', '.join(project.class_names)})."
                )
            for start in range(0, len(samples), CHUNK):
                if state is not None and state.cancelled:
                    return PrelabelResult(suggested, unmatched, True)
                chunk = samples[start : start + CHUNK]
                items = _items(labeling, project, chunk)
                key = "texts" if project.kind == "text_classification" else "images"
                done_before = start

                def progress(answer: dict[str, Any], before: int = done_before) -> None:
                    if state is not None:
                        state.progress(before + int(answer.get("done", 0)), len(samples))

                result = worker.ask({"op": "classify", key: items}, progress)
                found = []
                for sample, prediction in zip(chunk, result["predictions"], strict=True):
                    ranked = prediction.get("labels") or []
                    if prediction.get("error") or not ranked:
                        continue
                    name = classes.get(str(ranked[0]["label"]).casefold())
                    if name is None:
                        unmatched += 1
                        continue
                    found.append(Suggestion(sample, [name], float(ranked[0]["p"])))
                labeling.store.put_suggestions(project.id, found, model.id)
                suggested += len(found)
                if state is not None:
                    state.progress(start + len(chunk), len(samples))
        except TaskCancelled:
            return PrelabelResult(suggested, unmatched, True)
        finally:
            worker.close()
    return PrelabelResult(suggested, unmatched, False)


def _load(target: Any) -> dict[str, Any]:
    request = target.load_request()
    request.pop("op", None)
    return request


def _items(labeling: LabelingService, project: Project, chunk: list[int]) -> list[str]:
    first, last = chunk[0], chunk[-1]
    values = labeling.values(project, first, last - first + 1)
    picked = [values[sample - first] for sample in chunk]
    if project.kind == "text_classification":
        return [str(value) for value in picked]
    return [str(labeling.image_path(project, str(value))) for value in picked]


class _Worker:
    """Requests one at a time to an `engine serve` process, answers read as they come."""

    def __init__(self, process: subprocess.Popen, errors: IO[bytes]) -> None:
        self.process, self.errors = process, errors
        self.next_id = 0
        assert process.stdout is not None
        self.answers: Iterator[bytes] = iter(process.stdout)

    def ask(self, request: dict[str, Any], on_progress: Any = None) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.next_id += 1
        self.process.stdin.write((json.dumps({"id": self.next_id, **request}) + "\n").encode())
        self.process.stdin.flush()
        for line in self.answers:
            answer = answer_of(line)
            if answer is None or answer.get("id") != self.next_id:
                continue
            if answer["event"] == "progress" and on_progress is not None:
                on_progress(answer)
            elif answer["event"] == "error":
                raise UserError(f"The model could not pre-label: {answer.get('error')}")
            elif answer["event"] == "result":
                return answer
        self.errors.seek(0)
        tail = "\n".join(self.errors.read().decode("utf-8", "replace").splitlines()[-8:])
        raise UserError(
            f"The pre-labeling worker ended with exit code {self.process.wait()}.\n{tail}"
        )

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

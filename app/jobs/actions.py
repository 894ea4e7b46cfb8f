"""Every action a person can take on a job, declared once.

The Jobs pane's tool bar and context menu, the command line's `job ACTION`
commands, the single-instance hand-over from a terminal to the window, and the
refusals for a job in the wrong state all read this table: a new action is one
row here and its service method, not five string-keyed places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.jobs.states import JobStatus

if TYPE_CHECKING:
    from app.jobs.service import JobService
    from app.jobs.store import Job

S = JobStatus
Perform = Callable[["JobService", str, dict[str, Any]], "Job | None"]
"""(service, job id, the request's extra fields) → the job to report (None: deleted)."""


@dataclass(frozen=True)
class JobAction:
    key: str
    title: str
    """The pane's button and menu text."""
    help: str
    """The command line's help for `job COMMAND`."""
    statuses: frozenset[JobStatus]
    """The statuses in which the action is offered."""
    perform: Perform | None = None
    """How the scheduler does it (None: the window alone does it, with a dialog)."""
    command: str = ""
    """The command line's name (`job COMMAND`); empty for window-only actions."""
    in_toolbar: bool = True


def _call(method: str) -> Perform:
    def perform(service: JobService, job_id: str, _extra: dict[str, Any]) -> Job:
        getattr(service, method)(job_id)
        return service.store.get(job_id)

    return perform


def _delete(service: JobService, job_id: str, _extra: dict[str, Any]) -> None:
    service.delete(job_id)
    return None


ACTIVE = frozenset({S.RUNNING, S.PAUSED})
WAITING = frozenset({S.PENDING, S.QUEUED})
RESUMABLE = frozenset({S.STOPPED, S.FAILED})
DONE = frozenset({S.STOPPED, S.FAILED, S.CANCELLED, S.COMPLETED})
EVERY = frozenset(JobStatus)

ACTIONS: tuple[JobAction, ...] = (
    JobAction(
        "pause", "Pause", "pause between steps", frozenset({S.RUNNING}), _call("pause"), "pause"
    ),
    JobAction(
        "resume",
        "Resume",
        "continue a paused job",
        frozenset({S.PAUSED}),
        _call("resume"),
        "resume",
    ),
    JobAction(
        "stop",
        "Stop with checkpoint",
        "checkpoint and stop (resumable)",
        ACTIVE,
        _call("stop"),
        "stop",
    ),
    JobAction(
        "cancel",
        "Cancel",
        "stop without keeping it resumable, or take it off the queue",
        ACTIVE | WAITING,
        _call("cancel"),
        "cancel",
    ),
    JobAction(
        "resume_from",
        "Resume from checkpoint",
        "queue a stopped or failed job again from a checkpoint",
        RESUMABLE,
        lambda s, j, extra: s.resume_from_checkpoint(j, extra.get("checkpoint") or "latest"),
        "resume-from",
    ),
    JobAction(
        "retry",
        "Retry",
        "run a finished job's spec again, as a new job",
        DONE,
        lambda s, j, _extra: s.retry(j),
        "retry",
    ),
    JobAction("clone", "Clone and change…", "", EVERY, in_toolbar=False),
    JobAction(
        "export",
        "Export spec…",
        "the job's spec as JSON, to submit again",
        EVERY,
        command="export",
        in_toolbar=False,
    ),
    JobAction(
        "delete",
        "Delete…",
        "delete a job and its run directory",
        DONE,
        _delete,
        "delete",
        in_toolbar=False,
    ),
)
BY_KEY = {action.key: action for action in ACTIONS}


def actions_for(status: JobStatus, checkpoints: int | None = None) -> tuple[str, ...]:
    """What a person may do to a job in `status`, in menu order; with `checkpoints`
    counted, a job with none is not offered a resume from one."""
    return tuple(
        action.key
        for action in ACTIONS
        if status in action.statuses and not (action.key == "resume_from" and checkpoints == 0)
    )

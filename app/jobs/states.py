"""The job state machine (DESIGN.md §4), enforced here and nowhere else.

PENDING → QUEUED → RUNNING ⇄ PAUSED → COMPLETED | FAILED | CANCELLED, plus the
ways back a person can take: a stopped or failed job is queued again to resume
or retry it, and a queued job can be taken off the queue.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    """Stopped on request with a checkpoint; resumable (engine exit code 3)."""
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = JobStatus
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    S.PENDING: frozenset({S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.RUNNING, S.PENDING, S.CANCELLED, S.FAILED}),
    S.RUNNING: frozenset({S.PAUSED, S.STOPPED, S.COMPLETED, S.FAILED, S.CANCELLED}),
    S.PAUSED: frozenset({S.RUNNING, S.STOPPED, S.FAILED, S.CANCELLED}),
    S.STOPPED: frozenset({S.QUEUED, S.CANCELLED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset({S.QUEUED}),
}
ACTIVE = frozenset({S.RUNNING, S.PAUSED})
FINISHED = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED, S.STOPPED})


class IllegalTransition(Exception):  # noqa: N818 - reads as the rule it enforces
    def __init__(self, job_id: str, current: JobStatus, wanted: JobStatus) -> None:
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing"
        super().__init__(
            f"job {job_id}: cannot go from {current} to {wanted} "
            f"(from {current} it can go to {allowed})"
        )
        self.current, self.wanted = current, wanted


def check_transition(job_id: str, current: JobStatus | str, wanted: JobStatus | str) -> None:
    current, wanted = JobStatus(current), JobStatus(wanted)
    if wanted not in ALLOWED[current]:
        raise IllegalTransition(job_id, current, wanted)

"""Job actions as messages: how `job …` on the command line reaches the running scheduler.

The GUI (or a headless `job submit --wait`) owns the queue; another process
sends it `{"command": "job", "action": …}` through the single-instance socket
and gets back `{"ok": true, "job": {…}}` or `{"ok": false, "error": "…"}`.
The same function runs the action in-process when no scheduler is running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.errors import UserError
from app.jobs.actions import BY_KEY
from app.jobs.precheck import Precheck
from app.jobs.service import JobService
from app.jobs.spec_files import spec_template
from app.jobs.states import IllegalTransition
from app.jobs.store import Job
from app.tasks import LONG, run_task

QUEUE_ACTIONS = ("submit", "move")
"""Requests that are not a row of `app.jobs.actions` (they act on the queue)."""


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "status": str(job.status),
        "last_step": job.last_step,
        "total_steps": job.total_steps,
        "assigned_gpus": job.assigned_gpus,
        "run_dir": job.run_dir,
        "output_dir": job.spec.get("output_dir"),
        "failure_kind": job.failure_kind,
        "failure_reason": job.failure_reason,
        "result": job.result,
    }


def perform(
    service: JobService, message: dict[str, Any], *, checked: Precheck | None = None
) -> dict[str, Any]:
    """Run one job action; errors come back as text, never as a traceback."""
    key = str(message.get("action"))
    action = BY_KEY.get(key)
    try:
        if key == "submit":
            job = service.submit(
                message["spec"],
                name=message.get("name", ""),
                gpus=int(message.get("gpus", 0)),
                priority=int(message.get("priority", 0)),
                checked=checked,
            )
            return {"ok": True, "job": job_summary(job)}
        if key not in QUEUE_ACTIONS and (action is None or action.perform is None):
            raise UserError(f"unknown job action {key!r}")
        job_id = str(message.get("job_id", ""))
        service.store.get(job_id)  # NotFound names the job
        if key == "move":
            service.move_in_queue(job_id, message.get("before") or None)
            found: Job | None = service.store.get(job_id)
        else:
            assert action is not None and action.perform is not None
            found = action.perform(service, job_id, message)
        return {"ok": True, "job": job_summary(found) if found is not None else None}
    except (UserError, IllegalTransition) as error:
        return {"ok": False, "error": str(error)}


Reply = dict[str, Any]


def answer_later(
    service: JobService, message: dict[str, Any]
) -> Callable[[Callable[[Reply], None]], None]:
    """For the window: what an action does to files runs in a worker, never on the GUI
    thread (the pre-submit check reads the dataset; a delete removes a run folder and
    its metrics), the rest on the GUI thread; the terminal gets its reply when done."""

    def start(respond: Callable[[Reply], None]) -> None:
        key = message.get("action")
        answered: list[bool] = []

        def reply(answer: Reply) -> None:
            answered.append(True)
            respond(answer)

        def unanswered() -> None:  # a bug: the crash dialog has it; the terminal hears too
            if not answered:
                reply({"ok": False, "error": "SparkTrainer hit a bug; see its log."})

        def refused(error: BaseException, _text: str) -> None:
            reply({"ok": False, "error": str(error)})

        if key == "submit":
            spec, gpus = message.get("spec") or {}, int(message.get("gpus", 0) or 0)
            run_task(
                lambda _s: service.precheck(spec_template(spec), gpus),
                on_done=lambda check: reply(perform(service, message, checked=check)),
                on_error=refused,
                on_finished=unanswered,
                kind=LONG,
            )
        elif key == "delete":
            run_task(
                lambda _s: perform(service, message),
                on_done=reply,
                on_error=refused,
                on_finished=unanswered,
                kind=LONG,
            )
        else:
            reply(perform(service, message))

    return start


def handle_message(
    service: JobService | None, message: dict[str, Any], *, later: bool = False
) -> Reply | Callable[[Callable[[Reply], None]], None] | None:
    """The single-instance handler: None while the service is not up yet. With `later`
    (the window), the answer comes through `answer_later`."""
    if message.get("command") != "job":
        return {"ok": False, "error": f"unknown command {message.get('command')!r}"}
    if service is None:
        return None
    return answer_later(service, message) if later else perform(service, message)

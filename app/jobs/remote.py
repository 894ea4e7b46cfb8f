"""Job actions as messages: how `job …` on the command line reaches the running scheduler.

The GUI (or a headless `job submit --wait`) owns the queue; another process
sends it `{"command": "job", "action": …}` through the single-instance socket
and gets back `{"ok": true, "job": {…}}` or `{"ok": false, "error": "…"}`.
The same function runs the action in-process when no scheduler is running.
"""

from __future__ import annotations

from typing import Any

from app.errors import UserError
from app.jobs.service import JobService
from app.jobs.states import IllegalTransition
from app.jobs.store import Job

ACTIONS = (
    "submit",
    "pause",
    "resume",
    "stop",
    "cancel",
    "resume_from",
    "retry",
    "delete",
    "move",
)


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "status": str(job.status),
        "last_step": job.last_step,
        "total_steps": job.total_steps,
        "assigned_gpus": job.assigned_gpus,
        "failure_kind": job.failure_kind,
        "failure_reason": job.failure_reason,
        "run_dir": job.run_dir,
    }


def perform(service: JobService, message: dict[str, Any]) -> dict[str, Any]:
    """Run one job action; errors come back as text, never as a traceback."""
    action = message.get("action")
    try:
        if action not in ACTIONS:
            raise UserError(f"unknown job action {action!r}")
        if action == "submit":
            job = service.submit(
                message["spec"],
                name=message.get("name", ""),
                gpus=int(message.get("gpus", 0)),
                priority=int(message.get("priority", 0)),
            )
            return {"ok": True, "job": job_summary(job)}
        job_id = str(message.get("job_id", ""))
        service.store.get(job_id)  # NotFound names the job
        if action == "resume_from":
            job = service.resume_from_checkpoint(job_id, message.get("checkpoint") or "latest")
        elif action == "retry":
            job = service.retry(job_id)
        elif action == "move":
            service.move_in_queue(job_id, message.get("before") or None)
            job = service.store.get(job_id)
        elif action == "delete":
            service.delete(job_id)
            return {"ok": True, "job": None}
        else:
            getattr(service, action)(job_id)
            job = service.store.get(job_id)
        return {"ok": True, "job": job_summary(job)}
    except (UserError, IllegalTransition) as error:
        return {"ok": False, "error": str(error)}


def handle_message(service: JobService | None, message: dict[str, Any]) -> dict[str, Any] | None:
    """The single-instance handler: None while the service is not up yet."""
    if message.get("command") != "job":
        return {"ok": False, "error": f"unknown command {message.get('command')!r}"}
    if service is None:
        return None
    return perform(service, message)

"""Storing a chunk of engine events: what the supervisor's worker calls (supervisor.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.jobs.store import JobStore


def event_sink(store: JobStore, job_id: str) -> Callable[[list[dict[str, Any]], int], None]:
    """Stores a chunk of a job's events with its progress; runs in a worker thread, so a
    backlog of any size never holds the GUI thread. Metrics are stored before the offset
    that says they were read: a failure between the two reads the chunk again, and
    `add_metrics` keeps each event once."""

    def sink(events: list[dict[str, Any]], offset: int) -> None:
        store.add_metrics(job_id, events)
        progress: dict[str, Any] = {"events_offset": offset}
        for event in events:
            kind = event["event"]
            if kind == "progress":
                progress["setup_progress"] = {
                    key: event.get(key) for key in ("phase", "done", "total")
                }
            elif kind in ("started", "stopped", "completed", "failed"):
                progress["setup_progress"] = None  # setup is over, one way or another
            if kind == "started":
                progress["total_steps"] = event["total_steps"]
            elif kind in ("metric", "checkpoint", "completed") or (
                kind == "stopped" and event.get("checkpoint")  # not one stopped in setup
            ):
                progress["last_step"] = event["step"]
            if kind == "completed":
                progress["result"] = {
                    "final": event.get("final", {}),
                    "baseline": event.get("baseline") or {},
                }
        store.update(job_id, **progress)

    return sink

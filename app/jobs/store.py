"""Jobs in the database: rows in, plain `Job` records out, every transition recorded.

All status changes go through `transition`, which enforces the state machine
and stores the change with its time and reason in the same transaction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert

from app.db.database import Database, raw_cursor
from app.db.models import JobMetricRow, JobRow, JobTransitionRow, utcnow
from app.errors import NotFound, TaskCancelled
from app.jobs.states import FINISHED, JobStatus, check_transition


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    status: JobStatus
    spec: dict[str, Any]
    priority: int
    queue_position: int
    gpus_requested: int
    memory_estimate: int | None
    run_dir: str
    assigned_gpus: str | None
    pid: int | None
    process_start_time: float | None
    events_offset: int
    last_step: int
    total_steps: int | None
    failure_kind: str | None
    failure_reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = None
    """{"final": the last evaluation, "baseline": what learning nothing scores}."""
    run_seconds: float = 0.0
    run_since: datetime | None = None
    setup_progress: dict[str, Any] | None = None
    """What the engine is doing before its first step: {"phase", "done", "total"}."""

    def setup_text(self, *, short: bool = False) -> str:
        """What the engine does before its first step ("Tokenising 12,000 of 1,000,000…";
        short: "Tokenising 1%"); empty once training has started."""
        setup = self.setup_progress
        if not setup:
            return ""
        phase = str(setup.get("phase", "")).capitalize()
        done, total = int(setup.get("done", 0)), int(setup.get("total", 0))
        if total <= 1:
            return f"{phase}…"
        return f"{phase} {done / total:.0%}" if short else f"{phase} {done:,} of {total:,}…"

    def run_time(self, now: float | None = None) -> float | None:
        """Seconds spent running, over every run (a resume adds to it; paused and queued
        time do not count); None before the first start."""
        if self.started_at is None:
            return None
        since = self.run_since
        if since is None:
            return self.run_seconds
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return self.run_seconds + max(0.0, (now or time.time()) - since.timestamp())


@dataclass(frozen=True)
class MetricSeries:
    """One metric's points as float64 arrays (NaN where the engine sent null)."""

    name: str
    kind: str
    """metric or eval."""
    steps: Any
    values: Any
    times: Any


@dataclass(frozen=True)
class Transition:
    from_status: JobStatus | None
    to_status: JobStatus
    at: datetime
    reason: str


def _job(row: JobRow) -> Job:
    return Job(
        row.id,
        row.name,
        JobStatus(row.status),
        row.spec,
        row.priority,
        row.queue_position,
        row.gpus_requested,
        row.memory_estimate,
        row.run_dir,
        row.assigned_gpus,
        row.pid,
        row.process_start_time,
        row.events_offset,
        row.last_step,
        row.total_steps,
        row.failure_kind,
        row.failure_reason,
        row.created_at,
        row.started_at,
        row.finished_at,
        row.result,
        row.run_seconds or 0.0,
        row.run_since,
        row.setup_progress,
    )


def metric_key(kind: str, name: str) -> str:
    """The one naming rule for a curve: an evaluation's values are named eval_… (its
    `accuracy` is `eval_accuracy`; `eval_loss` stays), a training metric keeps its name."""
    return name if kind == "metric" or name.startswith("eval") else f"eval_{name}"


def _chunks(cursor: Any, cancelled: Callable[[], bool] | None) -> Iterator[Any]:
    """A cursor's rows, fetched 64k at a time, stopping when `cancelled` says so."""
    while True:
        if cancelled is not None and cancelled():
            raise TaskCancelled("metric load superseded")
        chunk = cursor.fetchmany(65_536)
        if not chunk:
            return
        yield from chunk


def new_job_id() -> str:
    return f"job-{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


class JobStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    def create(
        self,
        spec: dict[str, Any],
        *,
        run_dir: str,
        name: str = "",
        gpus: int = 0,
        priority: int = 0,
        memory_estimate: int | None = None,
        job_id: str | None = None,
    ) -> Job:
        job_id = job_id or new_job_id()
        with self._db.session() as session:
            last = session.scalar(select(func.max(JobRow.queue_position))) or 0
            row = JobRow(
                id=job_id,
                name=name or job_id,
                status=JobStatus.PENDING,
                spec={**spec, "job_id": job_id},
                priority=priority,
                queue_position=last + 1,
                gpus_requested=gpus,
                memory_estimate=memory_estimate,
                run_dir=run_dir,
                events_offset=0,
                last_step=0,
            )
            session.add(row)
            session.add(
                JobTransitionRow(
                    job_id=job_id, from_status=None, to_status=JobStatus.PENDING, reason="submitted"
                )
            )
            session.flush()
            return _job(row)

    def get(self, job_id: str) -> Job:
        with self._db.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFound(f"There is no job {job_id!r}.", "See `job list`.")
            return _job(row)

    def jobs(self, statuses: Iterable[JobStatus] | None = None) -> list[Job]:
        query = select(JobRow).order_by(JobRow.created_at)
        if statuses is not None:
            query = query.where(JobRow.status.in_([str(s) for s in statuses]))
        with self._db.session() as session:
            return [_job(row) for row in session.scalars(query)]

    def transition(self, job_id: str, to: JobStatus, reason: str, **fields: Any) -> Job:
        """Change status (and any other columns given), refusing illegal moves."""
        with self._db.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFound(f"There is no job {job_id!r}.", "See `job list`.")
            check_transition(job_id, row.status, to)
            session.add(
                JobTransitionRow(job_id=job_id, from_status=row.status, to_status=to, reason=reason)
            )
            now = utcnow()
            if row.run_since is not None and to != JobStatus.RUNNING:
                since = row.run_since.replace(tzinfo=row.run_since.tzinfo or UTC)
                row.run_seconds = (row.run_seconds or 0.0) + (now - since).total_seconds()
                row.run_since = None
            if to == JobStatus.RUNNING and row.run_since is None:
                row.run_since = now
            row.status = to
            if to == JobStatus.RUNNING and row.started_at is None:
                row.started_at = now
            if to in FINISHED:
                row.finished_at = now
            elif to == JobStatus.QUEUED:
                row.finished_at = None  # queued again (a resume): not finished any more
            for name, value in fields.items():
                setattr(row, name, value)
            session.flush()
            return _job(row)

    def update(self, job_id: str, **fields: Any) -> None:
        """Columns that are not the status (progress, offsets); status goes via transition."""
        if "status" in fields:
            raise ValueError("change the status with transition()")
        with self._db.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFound(f"There is no job {job_id!r}.", "See `job list`.")
            for name, value in fields.items():
                setattr(row, name, value)

    def delete(self, job_id: str) -> None:
        """The job with its transitions and metrics (foreign keys cascade)."""
        with self._db.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFound(f"There is no job {job_id!r}.", "See `job list`.")
            session.delete(row)

    def history(self, job_id: str) -> list[Transition]:
        query = (
            select(JobTransitionRow)
            .where(JobTransitionRow.job_id == job_id)
            .order_by(JobTransitionRow.id)
        )
        with self._db.session() as session:
            return [
                Transition(
                    JobStatus(r.from_status) if r.from_status else None,
                    JobStatus(r.to_status),
                    r.at,
                    r.reason,
                )
                for r in session.scalars(query)
            ]

    def reorder(self, job_ids: list[str]) -> None:
        """Queue positions follow the given order (the person dragged the queue)."""
        with self._db.session() as session:
            for position, job_id in enumerate(job_ids, start=1):
                row = session.get(JobRow, job_id)
                if row is not None:
                    row.queue_position = position

    def add_metrics(self, job_id: str, events: Iterable[dict[str, Any]]) -> int:
        """Store metric and eval events in one transaction; a point seen before is skipped."""
        rows = [
            {
                "job_id": job_id,
                "kind": event["event"],
                "step": int(event["step"]),
                "name": name,
                "value": value,
                "time": float(event.get("time", 0.0)),
            }
            for event in events
            if event.get("event") in ("metric", "eval")
            for name, value in event.get("values", {}).items()
            if value is None or isinstance(value, int | float)
        ]
        if not rows:
            return 0
        statement = insert(JobMetricRow).on_conflict_do_nothing(
            index_elements=["job_id", "kind", "step", "name"]
        )
        with self._db.session() as session:
            return session.connection().execute(statement, rows).rowcount

    def metric_series(self, job_id: str, name: str) -> list[tuple[int, float | None]]:
        query = (
            select(JobMetricRow.step, JobMetricRow.value)
            .where(JobMetricRow.job_id == job_id, JobMetricRow.name == name)
            .order_by(JobMetricRow.step)
        )
        with self._db.session() as session:
            return [(step, value) for step, value in session.execute(query)]

    def metric_arrays(
        self,
        job_id: str,
        *,
        with_times: bool = True,
        cancelled: Callable[[], bool] | None = None,
    ) -> dict[str, MetricSeries]:
        """Every metric of a job as float64 arrays, for plotting.

        Straight from the driver's cursor into numpy (`fromiter` over the rows as
        they come, no list of tuples, no ORM objects), so ten million points cost
        their arrays and nothing more. Without `with_times` the times are not
        read (the detail view plots by step). Eval metrics keep their `eval_`
        names; a bare eval name gets the prefix. `cancelled` is asked between chunks
        of rows: a load nobody waits for any more ends early with `TaskCancelled`.
        """
        import itertools

        import numpy as np

        columns = "step, COALESCE(value, 0.0), value IS NULL" + (", time" if with_times else "")
        width = 4 if with_times else 3
        with self._db.session() as session:
            cursor = raw_cursor(session)
            names = cursor.execute(
                "SELECT DISTINCT kind, name FROM job_metrics WHERE job_id = ?", (job_id,)
            ).fetchall()
            series: dict[str, MetricSeries] = {}
            for kind, name in sorted(names):
                rows = cursor.execute(
                    f"SELECT {columns} FROM job_metrics "
                    "WHERE job_id = ? AND name = ? AND kind = ? ORDER BY step",
                    (job_id, name, kind),
                )
                flat = np.fromiter(
                    itertools.chain.from_iterable(_chunks(rows, cancelled)), dtype=np.float64
                )
                table = flat.reshape(-1, width)
                values = table[:, 1].copy()
                nulls = table[:, 2] != 0
                if nulls.any():
                    values[nulls] = np.nan
                times = table[:, 3].copy() if with_times else np.empty(0)
                key = metric_key(kind, name)
                series[key] = MetricSeries(key, kind, table[:, 0].copy(), values, times)
                del flat, table
        return series

    def metric_overview(
        self, job_id: str, buckets: int = 2_000
    ) -> tuple[dict[str, MetricSeries], bool]:
        """Every metric cut to at most 2 × `buckets` points (each bucket's lowest and
        highest value) by SQLite itself, for a first paint that does not wait for a
        million rows to cross into Python. Also says whether anything was cut (then the
        caller loads `metric_arrays` for zooming in)."""
        import numpy as np

        series: dict[str, MetricSeries] = {}
        cut = False
        with self._db.session() as session:
            cursor = raw_cursor(session)
            names = cursor.execute(
                "SELECT kind, name, MIN(step), MAX(step), COUNT(*) FROM job_metrics "
                "WHERE job_id = ? GROUP BY kind, name",
                (job_id,),
            ).fetchall()
            for kind, name, low, high, count in sorted(names):
                where = "WHERE job_id = ? AND name = ? AND kind = ?"
                if count <= 2 * buckets:
                    rows = cursor.execute(
                        f"SELECT step, value FROM job_metrics {where} ORDER BY step",
                        (job_id, name, kind),
                    ).fetchall()
                    points = [(step, np.nan if v is None else v) for step, v in rows]
                else:
                    cut = True
                    rows = cursor.execute(
                        "SELECT (step - ?) * ? / (? - ? + 1) AS bucket, MIN(step), MAX(step), "
                        f"MIN(value), MAX(value) FROM job_metrics {where} "
                        "GROUP BY bucket ORDER BY bucket",
                        (low, buckets, high, low, job_id, name, kind),
                    ).fetchall()
                    points = []
                    for _bucket, first, last, smallest, largest in rows:
                        points.append((first, np.nan if smallest is None else smallest))
                        points.append((last, np.nan if largest is None else largest))
                table = np.array(points, dtype=np.float64).reshape(-1, 2)
                key = metric_key(kind, name)
                series[key] = MetricSeries(key, kind, table[:, 0], table[:, 1], np.empty(0))
        return series, cut

    def step_clock(self, job_id: str, points: int = 500) -> tuple[list[float], list[float]]:
        """(times, steps) at up to `points` moments of the run, from its loss events: maps
        wall-clock readings (GPU samples) onto the step axis."""
        with self._db.session() as session:
            cursor = raw_cursor(session)
            low, high = cursor.execute(
                "SELECT MIN(step), MAX(step) FROM job_metrics "
                "WHERE job_id = ? AND name = 'loss' AND kind = 'metric'",
                (job_id,),
            ).fetchone()
            if low is None:
                return [], []
            rows = cursor.execute(
                "SELECT (step - ?) * ? / (? - ? + 1) AS bucket, MIN(step), MIN(time) "
                "FROM job_metrics WHERE job_id = ? AND name = 'loss' AND kind = 'metric' "
                "GROUP BY bucket ORDER BY bucket",
                (low, points, high, low, job_id),
            ).fetchall()
        return [row[2] for row in rows], [float(row[1]) for row in rows]

    def latest_metric(self, job_id: str, name: str) -> float | None:
        query = (
            select(JobMetricRow.value)
            .where(JobMetricRow.job_id == job_id, JobMetricRow.name == name)
            .order_by(JobMetricRow.step.desc())
            .limit(1)
        )
        with self._db.session() as session:
            return session.scalar(query)

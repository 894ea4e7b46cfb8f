"""The scheduler on a simulated inventory: 8 GPUs, 200 jobs of mixed sizes and priorities."""

from __future__ import annotations

import random

import pytest

from app.jobs.scheduler import GpuSlot, Limits, QueuedJob, plan
from app.jobs.states import IllegalTransition, JobStatus, check_transition

GIB = 1024**3


def _simulate(jobs: list[QueuedJob], gpu_memory: int, limits: Limits, failing: set[str]):
    """Run the queue to the end: each tick, start what the plan says; running jobs end
    after their duration (a failing one ends early); check invariants at every tick."""
    rng = random.Random(3)
    duration = {j.job_id: rng.randint(1, 5) for j in jobs}
    queue = list(jobs)
    running: dict[str, tuple[tuple[int, ...], int, int]] = {}  # id → gpus, memory, ends at
    order: list[QueuedJob] = []
    tick = 0
    while queue or running:
        for job_id in [j for j, (_g, _m, end) in running.items() if end <= tick]:
            del running[job_id]
        used = {i: 0 for i in range(8)}
        count = {i: 0 for i in range(8)}
        for gpus, memory, _end in running.values():
            for i in gpus:
                used[i] += memory
                count[i] += 1
        slots = [GpuSlot(i, gpu_memory - used[i], count[i]) for i in range(8)]
        cpu_running = sum(1 for g, _m, _e in running.values() if not g)
        result = plan(queue, slots, cpu_running, limits)
        by_id = {j.job_id: j for j in queue}
        for job_id, gpus in result.starts:
            job = by_id[job_id]
            end = tick + (0 if job_id in failing else duration[job_id])
            running[job_id] = (gpus, job.memory_per_gpu, end + 1)
            queue.remove(job)
            order.append(job)
        # Invariants after starting: no over-commit of slots or memory, CPU limit kept.
        for i in range(8):
            on_gpu = [(g, m) for g, m, _e in running.values() if i in g]
            assert len(on_gpu) <= limits.jobs_per_gpu
            assert sum(m for _g, m in on_gpu) <= gpu_memory
        assert sum(1 for g, _m, _e in running.values() if not g) <= limits.cpu_jobs
        tick += 1
        assert tick < 10_000, "the queue never drained"
    return order


def test_two_hundred_jobs_on_eight_gpus_run_to_the_end() -> None:
    rng = random.Random(7)
    jobs = [
        QueuedJob(
            f"job-{n}",
            gpus=rng.choice([0, 1, 1, 1, 2, 4, 8]),
            memory_per_gpu=rng.choice([4, 10, 20, 40, 70]) * GIB,
            priority=rng.choice([0, 0, 0, 1, 5]),
            position=n,
        )
        for n in range(200)
    ]
    failing = {f"job-{n}" for n in range(0, 200, 9)}
    order = _simulate(jobs, 80 * GIB, Limits(jobs_per_gpu=1, cpu_jobs=1), failing)
    assert sorted(j.job_id for j in order) == sorted(j.job_id for j in jobs)  # none stuck


def test_priority_then_queue_order() -> None:
    queue = [
        QueuedJob("low-first", 1, priority=0, position=0),
        QueuedJob("high", 1, priority=5, position=2),
        QueuedJob("low-second", 1, priority=0, position=1),
    ]
    result = plan(queue, [GpuSlot(0, 80 * GIB), GpuSlot(1, 80 * GIB)], 0)
    assert [job for job, _ in result.starts] == ["high", "low-first"]
    assert "low-second" in result.waiting


def test_memory_and_per_gpu_limits_are_never_exceeded() -> None:
    queue = [
        QueuedJob("big", 1, 60 * GIB, position=0),
        QueuedJob("also-big", 1, 60 * GIB, position=1),
    ]
    gpus = [GpuSlot(0, 80 * GIB), GpuSlot(1, 30 * GIB)]
    result = plan(queue, gpus, 0, Limits(jobs_per_gpu=2))
    assert result.starts == [("big", (0,))]
    assert "30.0" not in result.waiting["also-big"] and "60.0 GiB" in result.waiting["also-big"]
    shared = plan(
        [QueuedJob("a", 1, 10 * GIB, position=0), QueuedJob("b", 1, 10 * GIB, position=1)],
        [GpuSlot(0, 80 * GIB)],
        0,
        Limits(jobs_per_gpu=2),
    )
    assert [g for _j, g in shared.starts] == [(0,), (0,)]


def test_a_waiting_high_priority_job_is_not_starved() -> None:
    queue = [
        QueuedJob("wide", 2, priority=5, position=0),
        QueuedJob("small", 1, priority=0, position=1),
    ]
    result = plan(queue, [GpuSlot(0, 80 * GIB), GpuSlot(1, 80 * GIB, running_jobs=1)], 0)
    assert result.starts == []
    assert result.waiting["small"] == "a job of higher priority is waiting for GPUs"


def test_cpu_jobs_have_their_own_limit() -> None:
    queue = [QueuedJob(f"cpu-{n}", 0, position=n) for n in range(3)]
    result = plan(queue, [], 0, Limits(cpu_jobs=2))
    assert [j for j, _ in result.starts] == ["cpu-0", "cpu-1"]
    assert result.waiting["cpu-2"] == "the CPU job limit is reached"


def test_impossible_request_says_so() -> None:
    result = plan([QueuedJob("huge", 16)], [GpuSlot(i, GIB) for i in range(8)], 0)
    assert result.waiting["huge"] == "asks for 16 GPUs; this machine has 8"


def test_state_machine_refuses_illegal_transitions() -> None:
    check_transition("j", JobStatus.QUEUED, JobStatus.RUNNING)
    check_transition("j", JobStatus.RUNNING, JobStatus.PAUSED)
    check_transition("j", JobStatus.FAILED, JobStatus.QUEUED)  # resume after a crash
    with pytest.raises(IllegalTransition, match="cannot go from completed to running"):
        check_transition("j", JobStatus.COMPLETED, JobStatus.RUNNING)
    with pytest.raises(IllegalTransition):
        check_transition("j", JobStatus.PENDING, JobStatus.RUNNING)

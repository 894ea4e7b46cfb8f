"""Which queued jobs start now, and on which GPUs. Pure: easy to test on 8 GPUs × 200 jobs.

Rules: higher priority first, then queue position (the person can reorder),
then submission order; a job asks for N GPUs (0 = the CPU) and an estimated
memory per GPU; a GPU takes at most `jobs_per_gpu` of our training jobs and
never more estimated memory than it has free; CPU jobs have their own limit.
A job that does not fit now lets later jobs of the same priority start on
other GPUs (backfill), but no job of lower priority takes a GPU while it waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QueuedJob:
    job_id: str
    gpus: int
    """How many GPUs; 0 runs on the CPU."""
    memory_per_gpu: int = 0
    """Estimated bytes per GPU."""
    priority: int = 0
    position: int = 0
    """Queue order after priority (lower first)."""


@dataclass(frozen=True)
class GpuSlot:
    index: int
    free_memory: int
    running_jobs: int = 0


@dataclass(frozen=True)
class Limits:
    jobs_per_gpu: int = 1
    cpu_jobs: int = 1


@dataclass
class Plan:
    starts: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    """(job id, GPU indices — empty for the CPU) in the order to start them."""
    waiting: dict[str, str] = field(default_factory=dict)
    """Job id → why it waits."""


DEFAULT_LIMITS = Limits()


def queue_order_key(priority: int, position: int) -> tuple[int, int]:
    """The order the scheduler considers queued jobs in: the one rule for "place in queue"."""
    return (-priority, position)


def queue_places(jobs: list[tuple[str, int, int]]) -> dict[str, int]:
    """(job id, priority, queue position) of the queued jobs → each one's place, from 1."""
    ordered = sorted(jobs, key=lambda j: queue_order_key(j[1], j[2]))
    return {job_id: place for place, (job_id, _p, _q) in enumerate(ordered, start=1)}


def plan(
    queue: list[QueuedJob],
    gpus: list[GpuSlot],
    running_cpu_jobs: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Plan:
    result = Plan()
    free = {g.index: g.free_memory for g in gpus}
    slots = {g.index: limits.jobs_per_gpu - g.running_jobs for g in gpus}
    cpu_slots = limits.cpu_jobs - running_cpu_jobs
    # Once a GPU job of some priority has to wait, nothing of lower priority may take a
    # GPU: otherwise a stream of small jobs could starve it for ever.
    gpu_barrier: int | None = None
    for job in sorted(queue, key=lambda j: queue_order_key(j.priority, j.position)):
        if job.gpus == 0:
            if cpu_slots > 0:
                cpu_slots -= 1
                result.starts.append((job.job_id, ()))
            else:
                result.waiting[job.job_id] = "the CPU job limit is reached"
            continue
        if job.gpus > len(gpus):
            result.waiting[job.job_id] = f"asks for {job.gpus} GPUs; this machine has {len(gpus)}"
            continue
        if gpu_barrier is not None and job.priority < gpu_barrier:
            result.waiting[job.job_id] = "a job of higher priority is waiting for GPUs"
            continue
        usable = [
            i
            for i in sorted(free, key=lambda i: (-free[i], i))
            if slots[i] > 0 and free[i] >= job.memory_per_gpu
        ]
        if len(usable) < job.gpus:
            result.waiting[job.job_id] = _why(job, free, slots)
            gpu_barrier = job.priority if gpu_barrier is None else gpu_barrier
            continue
        chosen = tuple(sorted(usable[: job.gpus]))
        for index in chosen:
            slots[index] -= 1
            free[index] -= job.memory_per_gpu
        result.starts.append((job.job_id, chosen))
    return result


def _why(job: QueuedJob, free: dict[int, int], slots: dict[int, int]) -> str:
    with_slot = [i for i in free if slots[i] > 0]
    if len(with_slot) < job.gpus:
        return "waiting for a GPU to finish its job"
    gib = job.memory_per_gpu / 1024**3
    return f"waiting for {job.gpus} GPU(s) with {gib:.1f} GiB free"

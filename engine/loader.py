"""Training micro-batches collated ahead of the loop, by DataLoader workers where it pays.

Image decoding and augmentation, or tokenising a large dataset batch by batch, would
otherwise run on the training thread between steps and leave the GPU idle. Workers
collate the batches the DataStream will ask for next, in its order; the loop still
takes its indices from its own stream, so the position a checkpoint saves is that of
the batches trained on, never of those prefetched, and resume stays exact.

Each batch's augmentation draws from a Random seeded by the batch's place in the data
(seed, epoch, position), not from a process's global state: the same batch gets the
same crops and flips in a worker or inline, before a kill -9 or after the resume.
On Linux workers are forked: they share the recipe's rows and tokenizer without
pickling. On Windows (no fork) and macOS (its system libraries are not safe to fork
once threads ran) they are spawned: each gets a copy of the recipe without its model
(engine/examples.py keeps what it holds picklable) and starts its own interpreter,
a few seconds that the first batches wait for.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from engine.recipes.base import EAGER_ROWS, Batch, Recipe
from engine.sampler import DataStream

PREFETCH_PER_WORKER = 4
Key = tuple[int, tuple[int, ...]]
"""(the batch's augmentation seed, its row indices)."""


START_ENV = "SPARKTRAINER_ENGINE_WORKER_START"
"""Test hook: "spawn" makes Linux start workers as Windows and macOS do."""


def default_workers(recipe: Recipe, requested: int | None) -> int:
    """`hyperparameters.data_workers`, or: images and lazily tokenised text get up to
    four workers (one core is the training loop's), small text and tables none (their
    batches cost microseconds; a worker would only add a process)."""
    if requested is not None:
        return requested
    heavy = getattr(recipe, "decodes_images", False) or len(recipe.train_rows) > EAGER_ROWS
    if not heavy:
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def start_method() -> str:
    if os.environ.get(START_ENV) == "spawn":
        return "spawn"
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def batch_seed(seed: int, epoch: int, position: int) -> int:
    return (seed * 1_000_003 + epoch) * 1_000_000_007 + position


def collate(recipe: Recipe, key: Key) -> Batch:
    seed, indices = key
    recipe.augment_rng = random.Random(seed)
    return recipe.collate(recipe.train_rows.take(indices), train=True)


class _Batches(Dataset[tuple[Key, Batch]]):
    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe

    def __getitem__(self, key: Key) -> tuple[Key, Batch]:
        return key, collate(self.recipe, key)

    def __getstate__(self) -> dict[str, Any]:
        """What a spawned worker is sent: the recipe without what collating never uses
        (the model, a preset's base weights, setup's progress report)."""
        state = {k: v for k, v in vars(self.recipe).items() if k not in _NOT_SENT}
        return {"kind": type(self.recipe), "state": state}

    def __setstate__(self, data: dict[str, Any]) -> None:
        self.recipe = data["kind"].__new__(data["kind"])
        vars(self.recipe).update(data["state"])


_NOT_SENT = frozenset({"model", "base_state", "report"})


class _Plan:
    """The keys the loop will ask for, from a copy of its stream (workers run ahead)."""

    def __init__(self, stream: DataStream, count: int) -> None:
        self.stream, self.count = stream, count

    def __iter__(self) -> Iterator[Key]:
        while True:
            yield _next_key(self.stream, self.count)


def _next_key(stream: DataStream, count: int) -> Key:
    indices = stream.take(count)
    # A take continues its epoch or starts the next at 0: either way it began here.
    start = stream.position - len(indices)
    return batch_seed(stream.seed, stream.epoch, start), tuple(indices)


class BatchLoader:
    def __init__(
        self,
        recipe: Recipe,
        stream: DataStream,
        workers: int,
        pin: bool,
        start: str | None = None,
    ) -> None:
        self.recipe, self.stream, self.workers, self.pin = recipe, stream, workers, pin
        self.start = start or start_method()
        self._iterator: Iterator[tuple[Key, Batch]] | None = None
        self._count = 0

    def take(self, count: int) -> Batch:
        """The next micro-batch of `count` rows (the stream advances past them)."""
        before = self.stream.state()
        key = _next_key(self.stream, count)
        if not self.workers:
            return collate(self.recipe, key)
        if self._iterator is None or count != self._count:
            self._start(count, before)
        assert self._iterator is not None
        got, batch = next(self._iterator)
        got = (int(got[0]), tuple(int(i) for i in got[1]))  # the DataLoader made it a list
        if got != key:  # cannot happen while the plan copies the stream; never train astray
            raise RuntimeError(f"data loader out of step: {got[1][:4]} for {key[1][:4]}")
        return batch

    def _start(self, count: int, state: dict[str, Any]) -> None:
        """Workers planning from `state`: where the loop's stream was before this batch."""
        self.close()
        ahead = DataStream(self.stream.size, self.stream.seed)
        ahead.load(state)
        loader: DataLoader[Any] = DataLoader(
            _Batches(self.recipe),
            batch_size=None,
            sampler=_Plan(ahead, count),
            num_workers=self.workers,
            pin_memory=self.pin,
            prefetch_factor=PREFETCH_PER_WORKER,
            multiprocessing_context=self.start,
            # A generator of its own: creating workers must not draw from the global
            # torch RNG that dropout and checkpoints rely on.
            generator=torch.Generator().manual_seed(self.stream.seed),
        )
        self._iterator, self._count = iter(loader), count

    def reset(self) -> None:
        """The stream moved (a step redone after an OOM, a resume): plan afresh."""
        self.close()

    def close(self) -> None:
        self._iterator = None  # the DataLoader's iterator shuts its workers down when freed

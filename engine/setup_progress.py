"""What the engine says while it sets up (loading the model, tokenising, checking images),
and where a stop during setup is noticed.

Setup can take minutes on a real dataset; without these `progress` events the job looks
hung, and a stop sent then would wait for the first step. A recipe calls its `report`
with a phase and a count; events go out at most a few times a second (and at each
phase's start and end), and each call looks for a stop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

EVERY_SECONDS = 0.25


class StopRequested(Exception):  # noqa: N818 - control flow, not an error
    pass


Report = Callable[[str, int, int], None]


def quiet(_phase: str, _done: int, _total: int) -> None:
    """The report of a recipe set up outside a run (tests, the playground)."""


class SetupProgress:
    def __init__(
        self,
        emit: Callable[..., Any],
        stop_requested: Callable[[], bool],
        every: float = EVERY_SECONDS,
    ) -> None:
        self._emit, self._stop_requested, self._every = emit, stop_requested, every
        self._phase = ""
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        edge = phase != self._phase or done in (0, total)
        if not edge and now - self._last < self._every:
            return
        self._phase, self._last = phase, now
        self._emit("progress", phase=phase, done=done, total=total)
        if self._stop_requested():
            raise StopRequested


def counted(report: Report, phase: str, items: Sequence[T]) -> Iterator[T]:
    """The items, reporting `phase` as they go (done counts those finished)."""
    total = len(items)
    report(phase, 0, total)
    for done, item in enumerate(items, start=1):
        yield item
        report(phase, done, total)

"""Records that could not be saved for want of disk space, saved again when there is room.

A job's ending, its engine's pid, a pause: each is one database write made on the GUI
thread. On a full disk SQLite refuses it whole (`StorageFull`), so the write itself can
simply be made again later; until then the job keeps its engine's state in memory
instead of being dropped half-recorded (a job the window would not let go of). Writes
are made again in the order they were first tried, on the service's next tick.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable

from app.errors import StorageFull

log = logging.getLogger(__name__)

Write = Callable[[], None]


def out_of_space(error: BaseException) -> bool:
    """A database write or a file write that failed because the disk is full."""
    return isinstance(error, StorageFull) or (
        isinstance(error, OSError) and error.errno == errno.ENOSPC
    )


class DeferredWrites:
    def __init__(self, tell: Callable[[str], None]) -> None:
        """`tell` says why once per episode (a notification), and "" once writes work."""
        self._pending: list[tuple[str, Write]] = []
        self._tell = tell
        self.problem = ""

    def attempt(self, job_id: str, write: Write) -> bool:
        """Make the write now, or keep it for later if the disk is full (or earlier writes
        still wait: a job's records are saved in order). True when it was saved now."""
        if not self._pending and self.try_now(write):
            return True
        self._pending.append((job_id, write))
        return False

    def try_now(self, write: Write) -> bool:
        """Make a write (or anything that writes) once; False, with the person told, when
        the disk is full. Any other error is raised."""
        try:
            write()
        except (StorageFull, OSError) as error:
            if not out_of_space(error):
                raise
            self.failed(error)
            return False
        return True

    def retry(self) -> None:
        """Make the waiting writes again, oldest first, until one still fails."""
        while self._pending:
            _job_id, write = self._pending[0]
            if not self.try_now(write):
                return
            self._pending.pop(0)
        self.recovered()

    def waiting(self, job_id: str) -> bool:
        return any(pending == job_id for pending, _write in self._pending)

    def waiting_any(self) -> bool:
        return bool(self._pending)

    def failed(self, error: BaseException | str) -> None:
        if not self.problem:
            self.problem = str(error)
            log.warning("Not saved for want of disk space: %s", error)
            self._tell(self.problem)

    def recovered(self) -> None:
        if self.problem:
            self.problem = ""
            log.info("The disk has room again; every waiting record is saved")
            self._tell("")

"""The two kinds of error SparkTrainer tells apart.

A `UserError` is a known problem with what the person gave us (a bad file, a
full disk, a missing column): it is shown plainly with what to do about it.
Anything else is a bug: it is logged and shown in the crash dialog with its
traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the person can fix; `hint` says how."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class NotFound(UserError):  # noqa: N818 - reads as what happened
    """Something asked for by name or id is not there (deleted meanwhile, or mistyped).

    Every store raises this one error, so a view that shows a stale row, a command
    line given a wrong id and a worker racing a delete all handle one thing.
    """


class StorageFull(UserError):  # noqa: N818 - reads as what happened
    """A record could not be saved for want of disk space; nothing was half-written, so
    the same write can be made again once there is room."""


class TaskCancelled(Exception):  # noqa: N818 - reads better at raise sites
    """Raised inside a background task when its state was cancelled."""


def is_known(error: BaseException) -> bool:
    return isinstance(error, UserError | TaskCancelled)

"""Whether a job that needs a token may start now: the one place the job service asks
the secret store, so a locked store never blocks the queue.

A job needing a token from a locked encrypted store is held back while the window asks
for the passphrase (once); without a way to ask, or once asked, it fails alone with what
to do. Other jobs are planned meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HUB_TOKEN = "huggingface"


class SecretGate:
    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials
        self.ask: Callable[[], None] | None = None
        """The window's way to ask for the passphrase without blocking (it then calls the
        job service's `secret_ready` or `secret_refused`); None: fail at once."""
        self.waiting: set[str] = set()
        """Queued jobs held back (not planned) while the person is asked."""
        self._asked = False

    @staticmethod
    def needed(spec: dict[str, Any]) -> list[str]:
        return [HUB_TOKEN] if spec.get("model", {}).get("source") == "hub" else []

    def environment(self, job_id: str, spec: dict[str, Any]) -> dict[str, str] | None:
        """The variables carrying the job's secrets; None while it must wait (the store
        is still being looked for, or the person is being asked). Raises UserError when
        the job cannot get them."""
        needed, credentials = self.needed(spec), self._credentials
        if needed and not credentials.probed:
            return None
        if (
            needed
            and credentials.needs_passphrase
            and credentials.file_store_exists
            and self.ask is not None
            and not self._asked
        ):
            self.waiting.add(job_id)
            if self.waiting == {job_id}:
                self.ask()
            return None
        # Secrets reach the engine through its environment only: never argv, files, DB.
        return dict(credentials.job_environment(needed))

    def answered(self) -> set[str]:
        """The person answered (or declined): the held-back jobs, released."""
        self._asked = True
        waiting, self.waiting = self.waiting, set()
        return waiting

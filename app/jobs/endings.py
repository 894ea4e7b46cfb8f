"""How an engine ended, from its exit and its last events: one `Outcome` per ending.

Like qutebrowser's GUIProcess, every way a process can end is sorted into one of a
few kinds here, so the service records it by one rule whether the engine was our
child (an exit code) or found again after a restart (only its events).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.protocol import ENGINE_LOG, EXIT_COMPLETED, EXIT_INVALID_SPEC, EXIT_STOPPED


@dataclass(frozen=True)
class Outcome:
    kind: str
    """completed | stopped | failed | invalid_spec | crashed | killed | vanished"""
    exit_code: int | None
    message: str
    failure_kind: str | None = None


def log_tail(run_dir: Path, lines: int = 20) -> str:
    try:
        text = (run_dir / ENGINE_LOG).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def classify_exit(
    exit_code: int,
    *,
    crashed: bool,
    last: dict[str, Any],
    failed: dict[str, Any] | None,
    stop_requested: bool,
    run_dir: Path,
) -> Outcome:
    """An engine we launched: its exit code (or the signal) and the last events."""
    if crashed:
        return Outcome(
            "killed",
            None,
            "the engine was killed by a signal"
            + (" after a stop request" if stop_requested else "")
            + f".\n{log_tail(run_dir)}",
        )
    if exit_code == EXIT_COMPLETED and last.get("event") == "completed":
        return Outcome("completed", exit_code, "completed")
    if exit_code == EXIT_STOPPED:
        return Outcome(
            "stopped", exit_code, f"stopped at step {last.get('step', '?')} with a checkpoint"
        )
    if exit_code == EXIT_INVALID_SPEC:
        return Outcome(
            "invalid_spec", exit_code, (failed or {}).get("error", "invalid spec"), "config"
        )
    if failed is not None:
        return Outcome("failed", exit_code, failed.get("error", ""), failed.get("kind", "internal"))
    # An uncaught exception: Python exits 1 (QProcess calls that a normal exit).
    return Outcome(
        "crashed",
        exit_code,
        f"the engine exited with code {exit_code} without reporting why.\n{log_tail(run_dir)}",
    )


def classify_detached(
    last: dict[str, Any], failed: dict[str, Any] | None, run_dir: Path
) -> Outcome:
    """No exit code to go by: the last event says how it ended, or that it vanished."""
    kind = last.get("event")
    if kind == "completed":
        return Outcome("completed", None, "completed")
    if kind == "stopped":
        return Outcome("stopped", None, f"stopped at step {last.get('step', '?')}")
    if failed is not None or kind == "failed":
        failed = failed or last
        return Outcome("failed", None, failed.get("error", ""), failed.get("kind", "internal"))
    return Outcome(
        "vanished",
        None,
        "interrupted: the engine ended while SparkTrainer was not watching, "
        f"without finishing.\n{log_tail(run_dir)}",
    )

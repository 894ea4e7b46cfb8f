"""The runtime as the rest of the app sees it: its status, the environment an engine
needs to use it, and installs run in their own process with JSON progress (the window
and the terminal both run `sparktrainer runtime install`)."""

from __future__ import annotations

from pathlib import Path

from app.errors import UserError
from app.launch import shown_command
from app.paths import data_paths
from app.runtime.location import (
    SITE_ENV,
    RuntimeLocation,
    RuntimeStatus,
    bundled_wheelhouse,
    runtime_status,
)


def runtime_location() -> RuntimeLocation:
    return RuntimeLocation(data_paths().root / "runtime")


def current_status() -> RuntimeStatus:
    return runtime_status(runtime_location())


def runtime_environment() -> dict[str, str]:
    """For an engine's environment: where its torch is, when it is ours."""
    status = current_status()
    return {SITE_ENV: str(status.site)} if status.source == "private" else {}


def require_runtime() -> None:
    """Before a job is queued: a clear message, never an engine that fails to import."""
    if not current_status().ready:
        raise UserError(
            "PyTorch is not installed yet, and training needs it.",
            "Install it from Hardware ▸ Install PyTorch… or run "
            f"`{' '.join(shown_command('runtime', 'install'))}`.",
        )


def install_command(variant: str | None, wheelhouse: Path | None) -> list[str]:
    """The arguments of `sparktrainer runtime install` for a variant or a wheelhouse."""
    arguments = ["runtime", "install", "--json"]
    if wheelhouse is not None:
        arguments += ["--wheelhouse", str(wheelhouse)]
    elif variant:
        arguments += ["--variant", variant]
    return arguments


__all__ = [
    "bundled_wheelhouse",
    "current_status",
    "install_command",
    "require_runtime",
    "runtime_environment",
    "runtime_location",
]

"""Where SparkTrainer keeps its data.

One data directory holds the database, settings, logs, datasets and runs, so a
person can back it up or move it as one folder, and tests can point
`SPARKTRAINER_HOME` at a temporary folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from app import APP_ID

HOME_ENV = "SPARKTRAINER_HOME"


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "sparktrainer.db"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.ini"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def app_log(self) -> Path:
        return self.logs / "app.log"

    @property
    def crash_log(self) -> Path:
        return self.logs / "crash.log"

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def base_models(self) -> Path:
        """Preset bases that LoRA adapters name in adapter_config.json (engine spec's
        base_models_dir): kept while any registered adapter uses them."""
        return self.models / "bases"

    @property
    def cache(self) -> Path:
        """Things that can be made again (thumbnails); safe to delete."""
        return self.root / "cache"

    @property
    def lock_file(self) -> Path:
        return self.root / "instance.lock"

    def ensure(self) -> DataPaths:
        """The folders, private to this user: the root is 0700 (an existing one with wider
        modes is repaired, and the repair logged), so nothing inside is reachable by
        other local users whatever its own mode."""
        for folder in (self.root, self.logs, self.datasets, self.runs, self.models):
            folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        make_private(self.root)
        return self


PRIVATE_FOLDER = 0o700
"""The data directory's mode; main.py's umask (077) makes new files 0600."""


def make_private(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows: the user's profile folder is private already
    mode = folder.stat().st_mode & 0o777
    if mode & 0o077:
        folder.chmod(PRIVATE_FOLDER)
        # Logging is set up after the folders exist (the log is inside): it says this then.
        STARTUP_NOTES.append(
            f"The data directory {folder} was readable by other users (mode {mode:o}): "
            "made it private (700)."
        )


STARTUP_NOTES: list[str] = []
"""Warnings from before logging was configured; configure_logging writes them."""


def data_root() -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    # Imported here: platformdirs is only needed when no override is given.
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def data_paths() -> DataPaths:
    return DataPaths(data_root()).ensure()

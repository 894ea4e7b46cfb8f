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
    def cache(self) -> Path:
        """Things that can be made again (thumbnails); safe to delete."""
        return self.root / "cache"

    @property
    def lock_file(self) -> Path:
        return self.root / "instance.lock"

    def ensure(self) -> DataPaths:
        for folder in (self.root, self.logs, self.datasets, self.runs, self.models):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def data_root() -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    # Imported here: platformdirs is only needed when no override is given.
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def data_paths() -> DataPaths:
    return DataPaths(data_root()).ensure()

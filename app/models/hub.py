"""Models from the Hugging Face Hub, downloaded by an engine process (`engine download`).

The download goes into a `.partial-` folder beside its place under DATA/models/hub and is
renamed into place when complete, so a cancelled or killed download resumes where it
stopped the next time the same model is asked for. The token reaches the engine in its
environment only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QObject

from app.errors import UserError
from app.models.engine_task import EngineTask, engine_command, run_blocking, task_environment
from engine.model_files import partial_download_folder

REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")
HUB_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/", re.IGNORECASE)


def parse_repo_id(text: str) -> str:
    """`owner/name`, also when pasted as the model's address on huggingface.co."""
    value = HUB_URL.sub("", text.strip()).strip("/")
    value = "/".join(value.split("/")[:2])
    if not REPO_ID.fullmatch(value) or ".." in value:
        raise UserError(
            f"{text.strip() or 'An empty name'} is not a Hub model name.",
            "Write it as owner/name, for example google-bert/bert-base-uncased.",
        )
    return value


def hub_folder(models_root: Path, repo_id: str) -> Path:
    return models_root / "hub" / repo_id.replace("/", "--")


def partial_bytes(folder: Path) -> int:
    """What an earlier, unfinished download of this folder already holds."""
    partial = partial_download_folder(folder)
    if not partial.is_dir():
        return 0
    return sum(p.stat().st_size for p in partial.rglob("*") if p.is_file())


def download_command(repo_id: str, folder: Path, revision: str | None) -> list[str]:
    revision_args = ["--revision", revision] if revision else []
    return engine_command("download", repo_id, str(folder), *revision_args)


def download_blocking(
    repo_id: str,
    folder: Path,
    revision: str | None,
    secrets: Mapping[str, str],
    on_progress: Callable[[str, int, int], None],
) -> Path:
    command = download_command(repo_id, folder, revision)
    return run_blocking(command, task_environment(secrets), folder, "download", on_progress)


class HubDownload(EngineTask):
    def __init__(
        self,
        repo_id: str,
        folder: Path,
        revision: str | None,
        secrets: Mapping[str, str],
        parent: QObject | None = None,
    ) -> None:
        self.repo_id, self.revision = repo_id, revision
        command = download_command(repo_id, folder, revision)
        super().__init__(command, task_environment(secrets), folder, "download", parent)

"""The model registry service: every action the Models pane and `model …` offer.

Bases are the presets, folders the person adds and hub downloads; trained models are
registered when their job completes (and any completed job missed meanwhile, on `sync`),
with the lineage a card is written from. A folder the person added is never deleted;
folders SparkTrainer wrote are, when their model is, after the caller confirmed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.datasets.store import DatasetStore
from app.errors import NotFound, UserError
from app.jobs.states import JobStatus
from app.jobs.store import Job, JobStore
from app.models.cards import best_of, card_body, readme
from app.models.folder_check import folder_size, inspect_folder
from app.models.hub import hub_folder, parse_repo_id
from app.models.store import ModelRecord, ModelStore
from app.paths import DataPaths
from engine.model_files import partial_download_folder
from engine.run_dirs import OUTPUT_MARKER
from engine.spec import PRESET_KINDS

log = logging.getLogger(__name__)

PRESET_TASKS = {
    "causal_lm": "causal_lm_sft",
    "sequence_classification": "text_classification",
    "image_classification": "image_classification",
}
USING = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.PENDING)
LEFT_OUT_OF_EXPORTS = {OUTPUT_MARKER, "sparktrainer.json"}


class ModelRegistry(QObject):
    changed = Signal()

    def __init__(
        self,
        paths: DataPaths,
        store: ModelStore,
        jobs: JobStore,
        datasets: DatasetStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths, self.store, self.jobs, self.datasets = paths, store, jobs, datasets
        self._ensure_presets()

    # -- reading ---------------------------------------------------------------------------

    def models(self) -> list[ModelRecord]:
        self.sync()
        return self.store.all()

    def get(self, model_id: int) -> ModelRecord:
        return self.store.get(model_id)

    def for_job(self, job_id: str) -> ModelRecord | None:
        """The model a job made (registering it now if its ending was missed)."""
        found = self.store.find(job_id=job_id)
        return found if found is not None else self.register_job(job_id)

    def adapters_of(self, model_id: int) -> list[ModelRecord]:
        return [m for m in self.store.all() if m.base_id == model_id and m.method == "lora"]

    def files(self, model_id: int) -> list[tuple[str, int]]:
        folder = self.get(model_id).folder
        if folder is None or not folder.is_dir():
            return []
        return sorted(
            (str(p.relative_to(folder)), p.stat().st_size)
            for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink()
        )

    def config_summary(self, model_id: int) -> dict[str, Any]:
        folder = self.get(model_id).folder
        path = folder / "config.json" if folder else None
        if path is None or not path.is_file():
            path = folder / "adapter_config.json" if folder else None
        if path is None or not path.is_file():
            return {}
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in config.items() if isinstance(v, str | int | float | bool)}

    # -- registering -----------------------------------------------------------------------

    def _ensure_presets(self) -> None:
        for name, kind in PRESET_KINDS.items():
            if self.store.find(source="preset", name=name) is None:
                self.store.add(
                    name=name,
                    source="preset",
                    method="base",
                    task=PRESET_TASKS[kind],
                    architecture="built-in preset (random weights, byte tokenizer)",
                )

    def add_folder(self, folder: Path) -> ModelRecord:
        """A local Hugging Face folder as a base model, checked first (FolderRefusedError)."""
        folder = folder.expanduser().resolve()
        existing = self.store.find(path=str(folder))
        if existing is not None:
            raise UserError(f"{folder} is registered already, as model #{existing.id}")
        facts = inspect_folder(folder)
        record = self.store.add(
            name=folder.name,
            source="local",
            method="base",
            task=facts.task,
            path=str(folder),
            architecture=facts.architecture,
            parameters=facts.parameters,
            dtype=facts.dtype,
            size_bytes=facts.size_bytes,
        )
        self.changed.emit()
        return record

    def download_target(self, repo_id: str) -> tuple[str, Path]:
        """The Hub name, checked, and the folder its download goes to (UserError when it
        is registered already)."""
        repo_id = parse_repo_id(repo_id)
        existing = self.store.find(source="hub", name=repo_id)
        if existing is not None and existing.folder is not None and existing.folder.is_dir():
            raise UserError(f"{repo_id} is downloaded already, as model #{existing.id}")
        folder = hub_folder(self.paths.models, repo_id)
        folder.parent.mkdir(parents=True, exist_ok=True)
        return repo_id, folder

    def register_download(self, repo_id: str, folder: Path) -> ModelRecord:
        """A finished download, checked as an added folder is; refused, it is removed
        (we wrote it). A hub base that a job named before now gets its folder."""
        try:
            facts = inspect_folder(folder)
        except UserError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        (folder / OUTPUT_MARKER).touch()  # ours: deleting the model may remove it
        values = dict(
            path=str(folder.resolve()),
            owned=True,
            task=facts.task,
            architecture=facts.architecture,
            parameters=facts.parameters,
            dtype=facts.dtype,
            size_bytes=folder_size(folder),
        )
        existing = self.store.find(source="hub", name=repo_id)
        if existing is not None:
            record = self.store.update(existing.id, **values)
        else:
            record = self.store.add(name=repo_id, source="hub", method="base", **values)
        self.changed.emit()
        return record

    def discard_partial_download(self, repo_id: str) -> int:
        """Bytes freed by dropping an unfinished download (ours) instead of resuming it."""
        partial = partial_download_folder(hub_folder(self.paths.models, parse_repo_id(repo_id)))
        freed = folder_size(partial) if partial.is_dir() else 0
        shutil.rmtree(partial, ignore_errors=True)
        return freed

    def sync(self) -> int:
        """Register completed jobs that are not yet (an ending recorded by a terminal, or
        before the registry existed)."""
        known = self.store.registered_jobs()
        added = 0
        for job in self.jobs.jobs([JobStatus.COMPLETED]):
            if job.id not in known and self._register(job) is not None:
                added += 1
        if added:
            self.changed.emit()
        return added

    def register_job(self, job_id: str) -> ModelRecord | None:
        try:
            job = self.jobs.get(job_id)
        except NotFound:
            return None
        if job.status != JobStatus.COMPLETED:
            return None
        existing = self.store.find(job_id=job_id)
        if existing is not None:
            return existing
        record = self._register(job)
        if record is not None:
            self.changed.emit()
        return record

    def _register(self, job: Job) -> ModelRecord | None:
        output = Path(str(job.spec.get("output_dir", "")))
        if not (output / OUTPUT_MARKER).exists():
            return None  # deleted since, or never written
        facts = _read_json(output / "sparktrainer.json")
        method = str(job.spec.get("method", "full"))
        final = dict((job.result or {}).get("final") or {})
        record = self.store.add(
            name=job.name,
            source="job",
            method=method,
            task=str(job.spec.get("recipe", "")),
            path=str(output),
            owned=True,
            base_id=self._base_for(job.spec.get("model") or {}),
            job_id=job.id,
            dataset=self._dataset_lineage(job.spec.get("dataset") or {}),
            architecture=_architecture(output),
            parameters=None,
            size_bytes=folder_size(output),
            metrics={
                "final": final,
                "best": best_of(
                    {name: [v for _, v in self.jobs.metric_series(job.id, name)] for name in final}
                ),
                "baseline": (job.result or {}).get("baseline") or {},
            },
            facts={**facts, "training_seconds": round(job.run_seconds, 1)},
        )
        self._write_readme(record)
        return record

    def _base_for(self, model: dict[str, Any]) -> int | None:
        source = model.get("source")
        if source == "preset":
            found = self.store.find(source="preset", name=model.get("name"))
        elif source == "local" and model.get("path"):
            found = self.store.find(path=str(Path(model["path"]).resolve()))
            if found is None:
                try:
                    found = self.add_folder(Path(model["path"]))
                except UserError as error:
                    log.info("Base folder not registered: %s", error)
        elif source == "hub" and model.get("repo_id"):
            found = self.store.find(source="hub", name=model["repo_id"])
            if found is None:
                found = self.store.add(
                    name=model["repo_id"], source="hub", method="base", task="", architecture=""
                )
        else:
            found = None
        return found.id if found is not None else None

    def _dataset_lineage(self, data: dict[str, Any]) -> dict[str, Any]:
        lineage = {key: data.get(key) for key in ("name", "version", "path")}
        if self.datasets is not None and data.get("name"):
            try:
                version = self.datasets.version(data["name"], data.get("version"))
            except UserError:
                return lineage
            lineage.update(version=version.number, sha256=version.sha256, rows=version.rows)
        return lineage

    # -- cards -----------------------------------------------------------------------------

    def card(self, model_id: int) -> str:
        return card_body(self.get(model_id))

    def set_card(self, model_id: int, text: str) -> ModelRecord:
        record = self.store.update(model_id, card=text)
        self._write_readme(record)
        self.changed.emit()
        return record

    def _write_readme(self, record: ModelRecord) -> None:
        """Our own folders carry the card as README.md; a person's folder is left alone."""
        if record.owned and record.folder is not None and record.folder.is_dir():
            (record.folder / "README.md").write_text(readme(record), encoding="utf-8")

    # -- export, merge, delete -------------------------------------------------------------

    def export(self, model_id: int, destination: Path) -> Path:
        """The model's folder as it is (a full model in HF format, an adapter in PEFT's)
        with its card as README.md, into a new folder: copied beside it, then renamed."""
        record = self.get(model_id)
        folder = record.folder
        if folder is None or not folder.is_dir():
            raise UserError(f"Model #{model_id} has no folder to export (a preset is built in)")
        destination = destination.expanduser().resolve()
        if destination.exists() and any(destination.iterdir()):
            raise UserError(f"{destination} is not empty; choose a new or empty folder")
        staging = destination.with_name(f".tmp-export-{destination.name}")
        if staging.exists():
            shutil.rmtree(staging)
        shutil.copytree(
            folder, staging, ignore=lambda _d, names: [n for n in names if n in LEFT_OUT_OF_EXPORTS]
        )
        (staging / "README.md").write_text(readme(record), encoding="utf-8")
        if destination.exists():
            destination.rmdir()
        staging.rename(destination)
        return destination

    def merge_target(self, model_id: int) -> tuple[Path, Path]:
        """The adapter folder to merge and a new folder for the merged model."""
        record = self.get(model_id)
        if record.method != "lora" or record.folder is None:
            raise UserError(f"Model #{model_id} is not a LoRA adapter; only adapters merge")
        target = self.paths.models / "merged" / f"model-{model_id}"
        number = 1
        while target.exists():
            number += 1
            target = self.paths.models / "merged" / f"model-{model_id}-{number}"
        target.parent.mkdir(parents=True, exist_ok=True)
        return record.folder, target

    def finish_merged_export(self, adapter_id: int, folder: Path) -> None:
        """A merge written straight into an export folder gets the adapter's card, as a
        merged model's, and no SparkTrainer files."""
        adapter = self.get(adapter_id)
        merged = dataclasses.replace(adapter, method="merged", name=f"{adapter.name} (merged)")
        (folder / "README.md").write_text(readme(merged), encoding="utf-8")
        for name in LEFT_OUT_OF_EXPORTS:
            (folder / name).unlink(missing_ok=True)

    def register_merge(self, adapter_id: int, folder: Path) -> ModelRecord:
        adapter = self.get(adapter_id)
        facts = _read_json(folder / "sparktrainer.json")
        record = self.store.add(
            name=f"{adapter.name} (merged)",
            source="merge",
            method="merged",
            task=adapter.task,
            path=str(folder),
            owned=True,
            base_id=adapter.base_id,
            dataset=adapter.dataset,
            architecture=_architecture(folder),
            size_bytes=folder_size(folder),
            metrics=adapter.metrics,
            facts=facts or adapter.facts,
        )
        (folder / OUTPUT_MARKER).touch()  # ours: deleting the model may remove it
        self._write_readme(record)
        self.changed.emit()
        return record

    def users(self, model_id: int) -> list[str]:
        """Names of the jobs waiting or running that train from this model."""
        record = self.get(model_id)
        using = []
        for job in self.jobs.jobs(USING):
            model = job.spec.get("model") or {}
            if record.source == "preset":
                used = model.get("source") == "preset" and model.get("name") == record.name
            else:
                path = model.get("path")
                used = bool(record.path and path and Path(str(path)).resolve() == Path(record.path))
                hub_pair = (model.get("source"), model.get("repo_id"))
                used = used or (record.source, record.name) == hub_pair
            if used:
                using.append(job.name)
        return using

    def space_freed(self, model_id: int) -> int:
        """Bytes a delete gives back: the folders we wrote; nothing for a person's folder."""
        record = self.get(model_id)
        return _freed(record, self._bases_left_unused(record))

    def check_deletable(self, model_id: int) -> ModelRecord:
        """The model, unless it may not be deleted: a preset, or one a job waits to use or
        trains from (UserError, saying which jobs)."""
        record = self.get(model_id)
        if record.source == "preset":
            raise UserError(f"{record.name} is a built-in preset; it takes no disk and stays")
        users = self.users(model_id)
        if users:
            raise UserError(
                f"Model {record.name} is used by {', '.join(users)}",
                "Wait for those jobs to end, or cancel them, then delete it.",
            )
        return record

    def delete(self, model_id: int) -> int:
        """Forget the model and remove the folders SparkTrainer wrote for it (its output,
        a preset base no other adapter names); returns the bytes freed."""
        record = self.check_deletable(model_id)
        bases = self._bases_left_unused(record)
        freed = _freed(record, bases)
        self.store.delete(model_id)
        if record.owned and record.folder is not None and (record.folder / OUTPUT_MARKER).exists():
            shutil.rmtree(record.folder, ignore_errors=True)
        for base in bases:
            shutil.rmtree(base, ignore_errors=True)
        self.changed.emit()
        return freed

    def _bases_left_unused(self, record: ModelRecord) -> list[Path]:
        """The kept preset base this adapter names, when no other registered adapter does."""
        base = _adapter_base(record)
        if base is None or base.parent != self.paths.base_models.resolve():
            return []
        others = [m for m in self.store.all() if m.id != record.id and m.method == "lora"]
        if any(_adapter_base(m) == base for m in others):
            return []
        return [base] if base.is_dir() else []


def _freed(record: ModelRecord, bases: list[Path]) -> int:
    own = record.size_bytes if record.owned and record.folder else 0
    return own + sum(folder_size(base) for base in bases)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _architecture(folder: Path) -> str:
    config = _read_json(folder / "config.json")
    if config.get("architectures"):
        return str(config["architectures"][0])
    adapter = _read_json(folder / "adapter_config.json")
    if adapter:
        return f"LoRA r={adapter.get('r')} ({adapter.get('peft_type', 'LORA')})"
    return ""


def _adapter_base(record: ModelRecord) -> Path | None:
    if record.method != "lora" or record.folder is None:
        return None
    named = _read_json(record.folder / "adapter_config.json").get("base_model_name_or_path")
    return Path(named).resolve() if named else None

"""The registry end to end: a real job on a tiny preset registered with its lineage, a real
`engine merge`, exports loaded by the one-line Auto loaders in clean processes, deletes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.errors import UserError
from app.jobs.states import JobStatus
from app.models.merge_run import MergeRun
from tests.conftest import hold_queue
from tests.engine.helpers import classification_rows, printed_logits, write_jsonl

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

LOGITS = """
import json, sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from peft import AutoPeftModelForSequenceClassification
folder, kind = sys.argv[1], sys.argv[2]
adapter = kind == "adapter"
auto = AutoPeftModelForSequenceClassification if adapter else AutoModelForSequenceClassification
model = auto.from_pretrained(folder).eval()
assert not {name.split(".")[0] for name in sys.modules} & {"engine", "app", "views"}
ids = AutoTokenizer.from_pretrained(folder)("a fine day", return_tensors="pt").input_ids
with torch.no_grad():
    print(json.dumps(model(input_ids=ids).logits[0].tolist()))
"""


def _logits(folder: Path, kind: str) -> list[float]:
    return printed_logits(LOGITS, str(folder), kind, cwd=folder.parent)


@pytest.fixture
def trained(core, qtbot, tmp_path):
    """A LoRA text classifier trained from a store dataset, and its registry."""
    data = write_jsonl(tmp_path / "reviews.jsonl", classification_rows(40))
    version = core.datasets.import_path(data, "reviews")
    jobs = core.jobs
    spec = {
        "recipe": "text_classification",
        "method": "lora",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {"name": "reviews"},
        "hyperparameters": {"max_steps": 6, "batch_size": 8, "eval_every": 3},
    }
    job = jobs.submit(spec, name="reviews-lora")
    qtbot.waitUntil(lambda: jobs.store.get(job.id).status == JobStatus.COMPLETED, timeout=240_000)
    yield core.models, job, version
    jobs.shutdown()


def test_a_completed_job_is_registered_with_its_lineage_and_a_real_card(trained) -> None:
    registry, job, version = trained
    model = registry.for_job(job.id)
    assert model is not None and model.kind == "adapter" and model.owned
    assert model.dataset == {
        "name": "reviews",
        "version": 1,
        "path": version.data_file.as_posix(),
        "sha256": version.sha256,
        "rows": 40,
    }
    base = registry.get(model.base_id)
    assert (base.source, base.name) == ("preset", "tiny-bert")
    assert registry.adapters_of(base.id) == [model]
    assert set(model.metrics["final"]) >= {"accuracy", "eval_loss"}
    assert model.metrics["best"]["accuracy"] >= model.metrics["final"]["accuracy"]
    card = registry.card(model.id)
    assert version.sha256 in card and "reviews" in card and "tiny-bert" in card
    assert "More Information Needed" not in card and "{{" not in card
    readme = (model.folder / "README.md").read_text()
    assert readme.startswith('---\nlibrary_name: "peft"') and version.sha256 in readme

    registry.set_card(model.id, card.replace("<!-- What this model is for", "Sentiment. <!--"))
    assert "Sentiment." in (model.folder / "README.md").read_text()
    assert registry.models().count(registry.get(model.id)) == 1  # sync adds nothing twice


def test_merge_export_and_delete(trained, core, qtbot, tmp_path) -> None:
    registry, job, _version = trained
    adapter = registry.for_job(job.id)
    source, target = registry.merge_target(adapter.id)
    run = MergeRun(source, target)
    phases = []
    run.progress.connect(lambda phase, done, total: phases.append((phase, done, total)))
    with qtbot.waitSignal(run.finished, timeout=240_000) as done:
        pass
    assert phases[-1] == ("done", 3, 3)
    merged = registry.register_merge(adapter.id, Path(done.args[0]))
    assert merged.kind == "trained" and merged.base_id == adapter.base_id

    # Both exports load on their own after the folders are copied elsewhere.
    adapter_copy = tmp_path / "far" / "adapter"
    registry.export(adapter.id, tmp_path / "adapter-export")
    shutil.copytree(tmp_path / "adapter-export", adapter_copy)
    merged_copy = tmp_path / "far" / "merged"
    registry.export(merged.id, tmp_path / "merged-export")
    shutil.copytree(tmp_path / "merged-export", merged_copy)
    assert not (merged_copy / ".sparktrainer-output").exists()
    assert "(merged)" in (merged_copy / "README.md").read_text()
    from_adapter = _logits(adapter_copy, "adapter")
    from_merged = _logits(merged_copy, "full")
    assert max(abs(a - b) for a, b in zip(from_adapter, from_merged, strict=True)) < 1e-4
    with pytest.raises(UserError, match="not empty"):
        registry.export(merged.id, tmp_path / "merged-export")

    # A person's folder: used by a queued job, refused; never deleted from disk.
    local = registry.add_folder(merged_copy)
    assert local.task == "text_classification" and local.parameters > 0
    jobs = hold_queue(core.jobs)
    queued = jobs.submit(
        {
            "recipe": "text_classification",
            "model": {"source": "local", "path": str(merged_copy)},
            "dataset": {"name": "reviews"},
        },
        name="waiting",
    )
    with pytest.raises(UserError, match="used by waiting"):
        registry.delete(local.id)
    jobs.cancel(queued.id)
    assert registry.space_freed(local.id) == 0
    assert registry.delete(local.id) == 0
    assert merged_copy.is_dir()

    # Our folders: the adapter, and its kept preset base once nothing else names it.
    base_folder = Path(
        json.loads((adapter.folder / "adapter_config.json").read_text())["base_model_name_or_path"]
    )
    assert base_folder.is_dir()
    freed = registry.space_freed(adapter.id)
    assert freed > adapter.size_bytes
    assert registry.delete(adapter.id) == freed
    assert not adapter.folder.exists() and not base_folder.exists()
    assert registry.delete(merged.id) == merged.size_bytes
    assert not merged.folder.exists()

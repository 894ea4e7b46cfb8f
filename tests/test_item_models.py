"""Every item model is a correct Qt model (pytest-qt's qtmodeltester, as qutebrowser and
napari check theirs), filled with real rows: jobs and their history from the real store,
datasets and versions from real imports, a real Parquet page, real thumbnails."""

from __future__ import annotations

import dataclasses
import json

import pytest
from PySide6.QtCore import QModelIndex

from app.datasets.row_window import RowWindow
from app.datasets.samples import import_sample
from app.jobs.states import JobStatus
from tests.conftest import hold_queue
from tests.engine.helpers import classification_rows, sft_rows, write_jsonl


def _job_spec(data) -> dict:
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {"max_steps": 2, "batch_size": 4},
    }


@pytest.fixture
def held_jobs(core, tmp_path):
    """Three jobs that stay queued (the scheduler held), one of them cancelled."""
    service = hold_queue(core.jobs)
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    jobs = [service.submit(_job_spec(data), name=f"job {i}", priority=i % 2) for i in range(3)]
    service.cancel(jobs[0].id)
    return [service.store.get(job.id) for job in jobs]


def test_the_jobs_table_and_its_filter(qtmodeltester, held_jobs):
    from views.jobs.models import JobFilterModel, JobTableModel

    model = JobTableModel()
    model.set_rows(held_jobs)
    qtmodeltester.check(model)
    assert [model.index(r, 1).data() for r in range(3)] == ["cancelled", "queued #1", "queued #2"]
    running = dataclasses.replace(held_jobs[2], status=JobStatus.RUNNING)
    model.update_job(running)
    model.set_backlog(running.id, 1234)
    assert model.index(2, 1).data() == "running · catching up 1,234 events"
    assert model.index(1, 1).data() == "queued #1"
    proxy = JobFilterModel()
    proxy.setSourceModel(model)
    proxy.set_search("job 2")
    qtmodeltester.check(proxy)
    assert proxy.rowCount() == 1


def test_a_jobs_history_and_first_batch(qtmodeltester, core, held_jobs):
    from views.jobs.detail import HistoryModel, SampleModel

    history = HistoryModel()
    history.set_rows(core.jobs.store.history(held_jobs[0].id))
    qtmodeltester.check(history)
    assert history.rowCount() == 3  # submitted, queued, cancelled
    sample = SampleModel()
    sample.set_sample([{"input": "a\nb", "labels": [1, 2]}, {"input": "c", "extra": 3}])
    qtmodeltester.check(sample)
    assert sample.columnCount() == 3


def test_the_comparison_tables(qtmodeltester):
    from views.jobs.comparison import TableModel

    model = TableModel()
    model.set_table(["Field", "a", "b"], [["lr", "1e-3", "1e-4"], ["epochs", "1", "3"]])
    qtmodeltester.check(model)


def test_datasets_versions_and_column_summaries(qtmodeltester, core, tmp_path):
    from views.datasets.models import DatasetListModel, VersionModel
    from views.datasets.statistics_view import ColumnSummaryModel

    store = core.datasets
    version = store.import_path(write_jsonl(tmp_path / "r.jsonl", classification_rows(40)), "r")
    store.split(version.dataset_id, {"train": 0.8, "validation": 0.2})
    datasets = DatasetListModel()
    datasets.set_rows(store.datasets())
    qtmodeltester.check(datasets)
    versions = VersionModel()
    versions.set_versions(store.versions("r"), 2)
    qtmodeltester.check(versions)
    assert versions.rowCount() == 2
    summary = ColumnSummaryModel()
    summary.set_rows(list(version.stats["columns"].items()))
    qtmodeltester.check(summary)


def test_the_preview_page(qtmodeltester, qtbot, core, tmp_path):
    from views.datasets.preview_table import PreviewModel

    version = core.datasets.import_path(
        write_jsonl(tmp_path / "r.jsonl", classification_rows(120)), "r"
    )
    model = PreviewModel()
    model.set_source(RowWindow(version.data_file))
    qtbot.waitUntil(lambda: model.value(0, 0) is not None, timeout=10_000)
    qtmodeltester.check(model)
    assert model.rowCount() > 0 and model.rowCount(model.index(0, 0)) == 0


def test_the_thumbnail_grid(qtmodeltester, qtbot, core):
    from views.datasets.thumbnails import ThumbnailCache, ThumbnailModel

    version = import_sample(core.datasets, "shapes")
    table = core.datasets.read(version, ["image", "label"]).to_pydict()
    model = ThumbnailModel(ThumbnailCache(core.paths.cache / "thumbnails"))
    model.set_images(version.path, table["image"][:12], table["label"][:12])
    qtmodeltester.check(model)
    assert model.rowCount(QModelIndex()) == 12
    json.dumps(table["label"][:1])  # labels are plain strings

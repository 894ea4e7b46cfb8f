"""What a new user does first, end to end on the reviews sample: through the window
(Try a sample → the wizard's defaults → a completed job) and through the command line
(`dataset sample` → `job submit --wait` on a spec naming the dataset by name). Both must
end with a model that beats the majority class of the validation split.

On this 2-core machine each takes about 30 s (the training itself about 13 s).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from app.jobs.results import verdict
from app.jobs.spec_files import absolute_paths
from app.jobs.states import JobStatus
from tests.conftest import run_main

TIMEOUT = 240_000


def test_relative_paths_are_made_absolute_against_the_terminal_folder(tmp_path: Path) -> None:
    spec = {"dataset": {"path": "data/reviews.csv"}, "model": {"source": "local", "path": "m"}}
    fixed = absolute_paths(spec, tmp_path)
    assert fixed["dataset"]["path"] == str(tmp_path / "data" / "reviews.csv")
    assert fixed["model"]["path"] == str(tmp_path / "m")
    assert absolute_paths({"dataset": {"name": "Product reviews"}}, tmp_path) == {
        "dataset": {"name": "Product reviews"}
    }


@pytest.mark.slow
def test_from_try_a_sample_through_the_wizard_defaults_to_a_model_that_learned(
    start_session, paths, qtbot
) -> None:
    began = time.monotonic()
    session = start_session(paths)
    window = session.window
    datasets = window.show_pane("datasets")
    qtbot.waitUntil(lambda: datasets.sample_buttons["reviews"].isEnabled(), timeout=20_000)
    qtbot.mouseClick(datasets.sample_buttons["reviews"], Qt.MouseButton.LeftButton)
    core = session.core
    qtbot.waitUntil(lambda: bool(core.datasets.datasets()), timeout=60_000)

    jobs = window.show_pane("jobs")
    qtbot.waitUntil(lambda: jobs.service is not None, timeout=20_000)
    wizard = jobs.open_wizard()
    assert wizard.recipe_page.buttons["text_classification"].isChecked()  # the default
    for _page in range(5):  # recipe, dataset, model, method, hyperparameters: all defaults
        qtbot.waitUntil(wizard.currentPage().isComplete, timeout=20_000)
        wizard.next()
    review = wizard.review_page
    qtbot.waitUntil(review.isComplete, timeout=30_000)
    spec = json.loads(review.spec_text.toPlainText())
    assert spec["dataset"]["path"].endswith("data.parquet")
    with qtbot.waitSignal(wizard.submitted, timeout=20_000) as submitted:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    job_id = submitted.args[0].id
    last_used = datasets.datasets.index(0, 5)  # "Last used", refreshed by the submission
    qtbot.waitUntil(lambda: datasets.datasets.index(0, 5).data() != "never", timeout=10_000)
    assert last_used.isValid()

    def finished() -> bool:
        return core.jobs.store.get(job_id).status not in (
            JobStatus.QUEUED,
            JobStatus.RUNNING,
            JobStatus.PENDING,
        )

    qtbot.waitUntil(finished, timeout=TIMEOUT)
    job = core.jobs.store.get(job_id)
    assert job.status == JobStatus.COMPLETED, job.failure_reason
    judged = verdict(job.result["final"], job.result["baseline"])
    assert judged is not None and judged.metric == "accuracy" and judged.beaten, judged
    jobs.select_job(job_id)
    qtbot.waitUntil(lambda: "majority class" in jobs.detail.result.text(), timeout=10_000)
    print(f"window: sample to a trained model in {time.monotonic() - began:.0f} s; {judged.text}")


@pytest.mark.slow
def test_from_dataset_sample_to_a_model_that_learned_on_the_command_line(
    data_home, tmp_path: Path
) -> None:
    began = time.monotonic()
    imported = run_main("dataset", "sample", "reviews")
    assert imported.returncode == 0, imported.stderr
    spec = {
        "recipe": "text_classification",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {"name": "Product reviews", "version": 1},
        "output_dir": "somewhere/else",
    }
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    done = run_main("job", "submit", str(spec_path), "--wait", timeout=TIMEOUT / 1000)
    assert done.returncode == 0, done.stderr
    assert "somewhere/else is not used" in done.stdout
    last = done.stderr.strip().splitlines()[-2:]
    assert "completed" in last[0] and "(majority class" in last[0], last
    assert "⚠" not in done.stderr

    listed = json.loads(run_main("job", "list", "--json").stdout)
    (job,) = listed
    assert job["result"]["baseline"]["name"] == "majority class"
    assert verdict(job["result"]["final"], job["result"]["baseline"]).beaten
    shown = run_main("job", "show", job["id"]).stdout
    assert "result      accuracy" in shown and job["output_dir"] in shown
    stored = json.loads(run_main("job", "show", job["id"], "--json").stdout)["spec"]
    assert stored["dataset"]["path"].endswith("data.parquet")  # resolved from the name
    assert stored["dataset"]["name"] == "Product reviews"
    assert stored["hyperparameters"]["learning_rate"] == 1e-3  # filled in, kept with the job
    print(f"terminal: sample to a trained model in {time.monotonic() - began:.0f} s")

"""From the Builder to a trained model: "Train this…" finds the table that fits the
network's input, opens the Jobs wizard on the Builder recipe with this network, and the
job it submits trains (real engine, real queue)."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtWidgets import QWizard

from app import builder
from app.jobs.states import JobStatus
from tests.engine.helpers import tabular_rows

# Opens a window and trains: left out of the quick tier.
pytestmark = pytest.mark.slow


def test_train_this_opens_the_wizard_and_the_job_trains(start_session, paths, qtbot, tmp_path):
    source = tmp_path / "circle.csv"
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["x1", "x2", "label"])
        writer.writeheader()
        writer.writerows(tabular_rows(200))
    session = start_session(paths)
    core, window = session.core, session.window
    qtbot.waitUntil(lambda: core.database_is_open, timeout=30_000)
    core.datasets.import_path(source, "circle")
    pane = window.show_pane("builder")
    definition = {**builder.TEMPLATES["MLP"], "input": {"kind": "vector", "size": 2}}
    pane.start_from(definition, "MLP")
    pane.train_action.trigger()
    qtbot.waitUntil(lambda: getattr(pane, "train_wizard", None) is not None, timeout=30_000)
    wizard = pane.train_wizard
    assert wizard.spec["recipe"] == "custom_architecture"
    network = wizard.spec["model"]["definition"]
    assert network["input"] == {"kind": "tabular", "features": ["x1", "x2"]}
    assert network["layers"] == definition["layers"]
    assert wizard.recipe_page.buttons["custom_architecture"].isChecked()
    for _page in range(5):  # recipe, dataset, model, method, hyperparameters
        qtbot.waitUntil(wizard.currentPage().isComplete, timeout=20_000)
        wizard.next()
    qtbot.waitUntil(wizard.review_page.isComplete, timeout=30_000)
    with qtbot.waitSignal(wizard.submitted, timeout=20_000) as submitted:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    job_id = submitted.args[0].id
    qtbot.waitUntil(
        lambda: (
            core.jobs.store.get(job_id).status
            not in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PENDING)
        ),
        timeout=240_000,
    )
    job = core.jobs.store.get(job_id)
    assert job.status == JobStatus.COMPLETED, job.failure_reason
    assert job.spec["model"]["definition"]["layers"] == definition["layers"]
    assert job.result["final"]["accuracy"] > job.result["baseline"]["accuracy"]


def test_a_token_network_opens_the_wizard_on_a_text_column(start_session, paths, qtbot, tmp_path):
    from tests.engine.helpers import classification_rows

    source = tmp_path / "reviews.csv"
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["text", "label"])
        writer.writeheader()
        writer.writerows(classification_rows(60))
    session = start_session(paths)
    core, window = session.core, session.window
    qtbot.waitUntil(lambda: core.database_is_open, timeout=30_000)
    core.datasets.import_path(source, "reviews")
    pane = window.show_pane("builder")
    pane.start_from(builder.TEMPLATES["Tiny Transformer"], "Tiny Transformer")
    pane.train_action.trigger()
    qtbot.waitUntil(lambda: getattr(pane, "train_wizard", None) is not None, timeout=30_000)
    wizard = pane.train_wizard
    assert wizard.spec["model"]["definition"]["input"]["kind"] == "tokens"
    qtbot.waitUntil(wizard.currentPage().isComplete, timeout=20_000)
    wizard.next()  # the dataset page
    page = wizard.dataset_page
    qtbot.waitUntil(page.isComplete, timeout=20_000)
    assert page.text_column.isVisible() and page.text_column.currentText() == "text"
    assert wizard.spec["dataset"]["text_column"] == "text"
    assert wizard.spec["dataset"]["label_column"] == "label"

"""The Jobs pane driven with qtbot: the wizard submits a real job on a tiny preset, the
table and the curves follow it, actions act, comparisons show what differs, and the
person hears about endings. Real engines, real SQLite; nothing is mocked."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox, QWizard

from app.jobs.recipes import format_example, label_warning
from app.jobs.spec_diff import spec_differences
from app.jobs.states import JobStatus
from engine.data_columns import ColumnError, spec_columns
from tests.conftest import hold_queue
from tests.engine.helpers import classification_rows, sft_rows, write_jsonl
from views.jobs.metrics_plot import MAX_POINTS, MetricsPlot, decimate
from views.jobs.pane import JobsPane
from views.jobs.tray import RunningJobsMenu

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

TIMEOUT = 180_000


@pytest.fixture
def pane(core, qtbot):
    widget = JobsPane(core)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.service is not None, timeout=10_000)
    yield widget
    for supervisor in list(core.jobs._supervisors.values()):
        supervisor.kill()


def _reviews(core, tmp_path, name="reviews"):
    source = write_jsonl(tmp_path / f"{name}.jsonl", classification_rows(64))
    return core.datasets.import_path(source, name)


def _sft_spec(data, **hyper) -> dict:
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "preset", "name": "tiny-gpt2"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {"max_steps": 10, "batch_size": 8, "learning_rate": 3e-3, **hyper},
    }


def _status_in_table(pane, job_id):
    row = pane.jobs.find(job_id)
    return None if row < 0 else pane.jobs.row(pane.jobs.index(row, 0)).status


def test_the_wizard_submits_a_job_that_runs_to_completed_with_its_curves(
    pane, core, qtbot, tmp_path
):
    version = _reviews(core, tmp_path)
    wizard = pane.open_wizard()
    assert wizard.currentPage() is wizard.recipe_page
    wizard.recipe_page.buttons["text_classification"].setChecked(True)
    wizard.next()
    page = wizard.dataset_page
    qtbot.waitUntil(lambda: page.path.text() == str(version.data_file), timeout=10_000)
    qtbot.waitUntil(page.isComplete, timeout=10_000)
    assert page.text_column.currentText() == "text" and page.label_column.currentText() == "label"
    assert "→ label" in page.preview.toPlainText()  # the formatted sample is shown
    wizard.next()
    assert wizard.model_page.preset.currentText() == "tiny-bert"  # presets fit the recipe
    wizard.next()
    wizard.method_page.full.setChecked(True)
    wizard.next()
    hyper = wizard.hyper_page
    hyper.name.setText("from the wizard")
    hyper.max_steps.setValue(12)
    hyper.batch_size.setValue(8)
    hyper.learning_rate.setText("abc")
    assert not hyper.isComplete()  # explained in place, before submission
    assert "a number" in hyper.problem.text()
    hyper.learning_rate.setText("1e-3")
    assert hyper.isComplete()
    wizard.next()
    review = wizard.review_page
    qtbot.waitUntil(review.isComplete, timeout=20_000)
    spec = json.loads(review.spec_text.toPlainText())
    assert spec["hyperparameters"]["max_steps"] == 12 and spec["model"]["name"] == "tiny-bert"
    assert review.command.text() == "python main.py job submit spec.json --name 'from the wizard'"
    assert "Runs on the CPU" in review.verdict_text and "Memory:" in review.verdict_text
    with qtbot.waitSignal(wizard.submitted, timeout=10_000) as submitted:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    job = submitted.args[0]
    qtbot.waitUntil(lambda: _status_in_table(pane, job.id) == JobStatus.COMPLETED, timeout=TIMEOUT)
    pane.select_job(job.id)
    assert pane.detail.job.id == job.id
    stored = core.jobs.store.metric_series(job.id, "loss")
    assert len(stored) == 12
    qtbot.waitUntil(lambda: ("current", "loss") in pane.detail.plot.curves, timeout=10_000)
    curve = pane.detail.plot.curves[("current", "loss")]
    qtbot.waitUntil(lambda: curve.series.size == 12, timeout=10_000)
    assert list(curve.series.x) == [float(step) for step, _ in stored]
    assert core.datasets.get("reviews").last_used_at is not None


def test_an_invalid_choice_is_explained_in_the_review_before_submitting(
    pane, core, qtbot, tmp_path
):
    version = _reviews(core, tmp_path)
    wizard = pane.open_wizard()
    spec = {
        "recipe": "text_classification",
        "model": {"source": "local", "path": str(tmp_path / "no-such-model")},
        "dataset": {"path": str(version.data_file), "text_column": "text", "label_column": "label"},
        "hyperparameters": {"max_steps": 5},
    }
    wizard.spec = spec
    wizard.restart()
    for _ in range(5):
        qtbot.waitUntil(wizard.currentPage().isComplete, timeout=10_000)
        wizard.next()
    assert wizard.currentPage() is wizard.review_page
    qtbot.waitUntil(lambda: "no-such-model" in wizard.review_page.verdict_text, timeout=20_000)
    assert not wizard.review_page.isComplete()
    assert core.jobs.store.jobs() == []


def test_pause_resume_stop_and_resume_from_checkpoint_from_the_pane(pane, core, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    job = core.jobs.submit(_sft_spec(data, max_steps=400), name="long")
    qtbot.waitUntil(lambda: _status_in_table(pane, job.id) == JobStatus.RUNNING, timeout=30_000)
    qtbot.waitUntil(lambda: core.jobs.store.get(job.id).last_step >= 2, timeout=60_000)
    pane.select_job(job.id)
    actions = pane.actions_by_key
    assert actions["pause"].isEnabled() and not actions["resume"].isEnabled()
    actions["pause"].trigger()
    qtbot.waitUntil(lambda: _status_in_table(pane, job.id) == JobStatus.PAUSED, timeout=30_000)
    qtbot.waitUntil(lambda: actions["resume"].isEnabled(), timeout=5_000)
    actions["resume"].trigger()
    qtbot.waitUntil(lambda: _status_in_table(pane, job.id) == JobStatus.RUNNING, timeout=30_000)
    qtbot.waitUntil(lambda: actions["stop"].isEnabled(), timeout=5_000)
    actions["stop"].trigger()
    # Until the step in progress ends and the checkpoint is written, the row says so.
    assert pane.jobs.index(pane.jobs.find(job.id), 1).data() == "stopping…"
    qtbot.waitUntil(lambda: _status_in_table(pane, job.id) == JobStatus.STOPPED, timeout=60_000)
    assert pane.jobs.index(pane.jobs.find(job.id), 1).data() == "stopped"
    stopped_at = core.jobs.store.get(job.id).last_step
    # The checkpoints tab lists the stop's checkpoint; "resume from here" queues it again.
    pane.detail.tabs.setCurrentIndex(3)
    qtbot.waitUntil(lambda: pane.detail.checkpoints.count() >= 1, timeout=10_000)
    pane.detail.checkpoints.setCurrentRow(0)
    assert pane.detail.resume_here.isEnabled()
    pane.detail.resume_here.click()
    qtbot.waitUntil(lambda: core.jobs.store.get(job.id).last_step > stopped_at, timeout=60_000)
    assert core.jobs.store.get(job.id).spec["resume_from"].endswith(f"checkpoint-{stopped_at}")
    pane.select_job(job.id)
    qtbot.waitUntil(lambda: actions["cancel"].isEnabled(), timeout=5_000)
    box = pane.perform("cancel")
    next(b for b in box.buttons() if b.text() == "Cancel job").click()
    qtbot.waitUntil(lambda: _status_in_table(pane, job.id) == JobStatus.CANCELLED, timeout=60_000)


def test_comparison_of_two_finished_jobs_shows_only_their_differing_fields(
    pane, core, qtbot, tmp_path
):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    first = core.jobs.submit(_sft_spec(data, max_steps=6), name="slow")
    second = core.jobs.submit(_sft_spec(data, max_steps=6, learning_rate=1e-2), name="fast")
    for job in (first, second):
        qtbot.waitUntil(
            lambda j=job: _status_in_table(pane, j.id) == JobStatus.COMPLETED, timeout=TIMEOUT
        )
    pane.table.selectAll()
    assert pane.compare_action.isEnabled()
    dialog = pane.open_comparison()
    rows = [
        dialog.differences.row(dialog.differences.index(r, 0))
        for r in range(dialog.differences.rowCount())
    ]
    assert [row[0] for row in rows] == ["hyperparameters.learning_rate"]
    qtbot.waitUntil(lambda: dialog.finals.rowCount() > 0, timeout=10_000)
    metrics = [
        dialog.finals.row(dialog.finals.index(r, 0))[0] for r in range(dialog.finals.rowCount())
    ]
    assert "loss" in metrics
    # Each job against what learning nothing scores on its validation rows.
    judged = dialog.finals.row(dialog.finals.index(0, 0))
    assert judged[0] == "against the baseline"
    assert all("token frequencies" in cell for cell in judged[1:])
    for curve, measured in (("eval_loss", "eval_loss"), ("eval_perplexity", "perplexity")):
        cells = dialog.finals.row(dialog.finals.index(metrics.index(curve), 0))[1:]
        for job, cell in zip((first, second), cells, strict=True):
            baseline = core.jobs.store.get(job.id).result["baseline"][measured]
            assert cell.endswith(f"(baseline {baseline:.5g})"), curve
    loss = dialog.finals.row(dialog.finals.index(metrics.index("loss"), 0))
    assert not any("baseline" in cell for cell in loss)  # training loss: no baseline
    curves = dialog.plot.curves
    assert (first.id, "loss") in curves and (second.id, "loss") in curves
    assert curves[(first.id, "loss")].series.size == 6
    dialog.align.setCurrentIndex(1)  # by time: x becomes seconds since each job's start
    assert dialog.plot.curves[(first.id, "loss")].series.x[0] == 0.0
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close).click()


def test_completion_and_failure_reach_the_person_and_the_tray_lists_running_jobs(
    start_session, paths, qtbot, tmp_path
):
    session = start_session(paths)
    core = session.core
    core.open_database()
    qtbot.waitUntil(lambda: core.has_jobs, timeout=10_000)
    presenter = session.notifications
    assert not presenter.uses_tray()  # offscreen has no tray: the window shows a toast
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(32))
    with qtbot.waitSignal(core.notifications.notified, timeout=TIMEOUT) as done:
        job = core.jobs.submit(_sft_spec(data, max_steps=400), name="watched")
        qtbot.waitUntil(lambda: core.jobs.store.get(job.id).last_step >= 1, timeout=60_000)
        entries = session.tray_jobs.rebuild()
        assert any(a.text().startswith("watched · running") for a in entries)
        core.jobs.stop(job.id)
    assert done.args[0].title == "Job watched stopped"
    assert presenter.toast.isVisible() and presenter.toast.title == "Job watched stopped"

    rows = [*sft_rows(1_000), {"prompt": "only a prompt", "response": None}]
    broken = write_jsonl(tmp_path / "broken.jsonl", rows)
    with qtbot.waitSignal(core.notifications.notified, timeout=TIMEOUT) as failed:
        core.jobs.submit(_sft_spec(broken), name="broken")
    assert failed.args[0].title == "Job broken failed"
    assert failed.args[0].level == "error"
    qtbot.waitUntil(lambda: presenter.toast.title == "Job broken failed", timeout=5_000)
    assert not [a for a in session.tray_jobs.rebuild() if a.text().startswith("watched")]


def test_queued_jobs_are_reordered(core, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(16))
    service = hold_queue(core.jobs)  # keep them queued: only the order is under test
    jobs = [service.submit(_sft_spec(data), name=f"j{i}") for i in range(3)]
    order = service.move_in_queue(jobs[2].id, jobs[0].id)
    assert order == [jobs[2].id, jobs[0].id, jobs[1].id]
    positions = {j.id: service.store.get(j.id).queue_position for j in jobs}
    assert positions[jobs[2].id] < positions[jobs[0].id] < positions[jobs[1].id]
    assert service.move_in_queue(jobs[2].id, None)[-1] == jobs[2].id


def test_a_million_points_reach_the_plot_bounded_with_every_spike_kept(qtbot):
    rng = np.random.default_rng(0)
    x = np.arange(1_000_000, dtype=np.float64)
    y = rng.random(1_000_000)
    y[654_321] = 50.0  # one spike among a million
    shown_x, shown_y = decimate(x, y, -np.inf, np.inf)
    assert len(shown_x) <= 2 * MAX_POINTS + 1_000_000 // MAX_POINTS
    assert shown_y.max() == 50.0 and np.all(np.diff(shown_x) >= 0)
    window_x, _ = decimate(x, y, 1_000.0, 2_000.0)  # zoomed in: every point of the range
    assert window_x[0] <= 1_000.0 and window_x[-1] >= 2_000.0 and len(window_x) <= 1_003
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.set_series("run", "loss", x, y)
    plot.append("run", "loss", [1_000_000.0], [0.5])
    plot.redraw()
    assert plot.curves[("run", "loss")].series.size == 1_000_001
    assert plot.shown_points() <= 2 * MAX_POINTS + 1_000
    plot.smoothing.setValue(60)  # smoothing draws a second, smoothed line over the raw one
    assert len(plot.curves[("run", "loss")].items) == 2


def test_the_formatted_sample_and_label_warnings():
    spec = {"recipe": "causal_lm_sft", "dataset": {"prompt_column": "q", "response_column": "a"}}
    text = format_example(spec, {"q": "2+2?", "a": "4"})
    assert text.startswith("### Prompt:\n2+2?") and text.endswith("[learns] 4")
    same = {
        "recipe": "text_classification",
        "dataset": {"text_column": "text", "label_column": "text"},
    }
    with pytest.raises(ColumnError, match=r"same column as dataset\.text_column"):
        spec_columns(same)  # the one rule the engine and the pre-submit check share
    sft = {"recipe": "causal_lm_sft", "dataset": {"prompt_column": "q", "response_column": "q"}}
    with pytest.raises(ColumnError, match=r"dataset\.response_column: 'q' is the same column"):
        spec_columns(sft)
    free = {
        "recipe": "text_classification",
        "dataset": {"text_column": "text", "label_column": "note"},
    }
    rows = [{"text": "t", "note": f"n{i}"} for i in range(30)]
    assert "30 different values" in label_warning(free, rows)


def test_spec_differences_ignore_ids_and_show_missing_fields():
    a = {"job_id": "1", "output_dir": "x", "method": "full", "hyperparameters": {"seed": 1}}
    b = {
        "job_id": "2",
        "output_dir": "y",
        "method": "lora",
        "lora": {"r": 8},
        "hyperparameters": {"seed": 1},
    }
    assert spec_differences([a, b]) == [("lora.r", [None, 8]), ("method", ["full", "lora"])]


def test_the_tray_section_is_rebuilt_each_time(qapp):
    from PySide6.QtWidgets import QMenu

    menu = QMenu()
    menu.addAction("Quit")
    section = RunningJobsMenu(menu, lambda: [], lambda _id: None)
    first = section.rebuild()
    assert [a.text() for a in first if not a.isSeparator()] == ["No job is running"]
    section.rebuild()
    assert [a.text() for a in menu.actions()].count("No job is running") == 1


def test_gpu_readings_land_on_the_step_axis_of_the_job():
    # The hardware history is real data structures; the readings are made up here because
    # this machine has no GPU (the NVML path itself is covered by tests/hardware).
    from app.hardware.history import HistoryPoint
    from views.jobs.detail import gpu_curves

    def point(t, util):
        return HistoryPoint(t, 0.0, 0.0, 0.0, (util, 10.0), (0.5, 0.1), (70.0, 40.0), (100.0, 50.0))

    points = [point(t, float(t)) for t in range(0, 20)]
    times, steps = [5.0, 10.0, 15.0], [0.0, 100.0, 200.0]  # step 100 happened at t=10
    curves = gpu_curves(points, [0], times, steps)
    x, utilisation = curves["gpu_utilization"]
    assert list(x) == [float(s) for s in range(0, 220, 20)]  # t = 5..15 only
    assert list(utilisation) == [float(t) for t in range(5, 16)]
    assert set(curves["gpu_memory"][1]) == {50.0} and set(curves["gpu_temperature"][1]) == {70.0}
    both = gpu_curves(points, [0, 1], times, steps)
    assert both["gpu_temperature"][1][0] == 55.0  # the mean of the job's two GPUs
    assert gpu_curves(points, [0], [], []) == {}


def test_the_queue_order_is_also_changed_by_a_job_command(core, tmp_path):
    from app.jobs.remote import perform

    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(16))
    service = hold_queue(core.jobs)  # keep them queued: only the order is under test
    first, second = (service.submit(_sft_spec(data), name=f"j{i}") for i in range(2))
    reply = perform(service, {"action": "move", "job_id": second.id, "before": first.id})
    assert reply["ok"], reply
    assert service.store.get(second.id).queue_position < service.store.get(first.id).queue_position
    refused = perform(service, {"action": "move", "job_id": "nope"})
    assert not refused["ok"]

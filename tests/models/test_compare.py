"""Models side by side: two causal LMs trained here with different learning rates, compared
through the app service, the command line and the pane's dialog (curves, spec differences,
the same prompt answered by each in its own playground worker), and a model's own curves."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt

from app.errors import UserError
from app.jobs.states import JobStatus
from app.models.comparison import best_column, compare_models
from tests.conftest import run_main
from tests.engine.helpers import sft_rows, write_jsonl

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

PROMPT = "Repeat alpha"
RATES = (2e-3, 5e-4)


@pytest.fixture
def two_trained(core, qtbot, tmp_path):
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(48))
    core.datasets.import_path(data, "instructions")
    jobs = core.jobs
    submitted = []
    for rate in RATES:
        spec = {
            "recipe": "causal_lm_sft",
            "method": "full",
            "model": {"source": "preset", "name": "tiny-gpt2"},
            "dataset": {
                "name": "instructions",
                "prompt_column": "prompt",
                "response_column": "response",
            },
            "hyperparameters": {
                "max_steps": 6,
                "batch_size": 8,
                "eval_every": 3,
                "learning_rate": rate,
            },
        }
        submitted.append(jobs.submit(spec, name=f"lr {rate:g}"))
    qtbot.waitUntil(
        lambda: all(jobs.store.get(j.id).status == JobStatus.COMPLETED for j in submitted),
        timeout=300_000,
    )
    models = [core.models.for_job(job.id) for job in submitted]
    assert all(model is not None for model in models)
    yield models
    jobs.shutdown()


def _answers(stdout: str) -> dict[str, str]:
    """`model compare --prompt`'s answers by model name ("## #ID NAME" then the text)."""
    found = {}
    for chunk in stdout.split("\n## #")[1:]:
        header, _, text = chunk.partition("\n")
        found[header.split(" ", 1)[1]] = text.removesuffix("\n")
    return found


def test_the_best_value_of_a_row_is_the_lowest_loss_or_the_highest_score() -> None:
    assert best_column("eval_loss", [2.0, 1.5, None]) == 1
    assert best_column("best accuracy", [0.5, 0.75]) == 1
    assert best_column("perplexity", [9.0, 12.0]) == 0
    assert best_column("accuracy", [0.5, 0.5]) is None  # a tie names no winner
    assert best_column("baseline eval_loss", [2.0, 1.0]) is None
    assert best_column("accuracy", [0.5, None]) is None


def test_two_models_compared_in_the_service_the_terminal_and_the_pane(
    two_trained, core, qtbot
) -> None:
    fast, slow = two_trained
    registry = core.models
    with pytest.raises(UserError, match="2 to 4 different models"):
        compare_models(registry, [fast.id, fast.id])

    comparison = compare_models(registry, [fast.id, slow.id], with_curves=True)
    facts = dict(comparison.facts)
    assert facts["Job"] == ["lr 0.002", "lr 0.0005"]
    assert facts["Base model"] == ["tiny-gpt2", "tiny-gpt2"]
    assert dict(comparison.differences)["hyperparameters.learning_rate"] == list(RATES)
    assert "model.name" not in dict(comparison.differences)  # only what differs
    metrics = dict(comparison.metrics)
    final = {fast.id: fast.metrics["final"], slow.id: slow.metrics["final"]}
    assert metrics["eval_loss"] == [final[fast.id]["eval_loss"], final[slow.id]["eval_loss"]]
    for model in (fast, slow):
        loss = comparison.curves[model.id]["loss"]
        assert len(loss.steps) == 6 and loss.steps[-1] == 6

    # The terminal: the same table, and the prompt answered greedily by each model.
    printed = run_main(
        "model", "compare", str(fast.id), str(slow.id),
        "--prompt", PROMPT, "--temperature", "0", "--max-new-tokens", "8",
        timeout=300,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert "hyperparameters.learning_rate" in printed.stdout and "0.002" in printed.stdout
    cli_answers = _answers(printed.stdout)
    assert set(cli_answers) == {fast.name, slow.name}

    # The pane: two rows selected, Compare, every tab, and the same prompt to both.
    from views.models.compare_prompt import AnswerColumn
    from views.models.pane import ModelsPane

    pane = ModelsPane(core)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: pane.models.rowCount() == 5)
    assert pane.select_model(fast.id)
    assert not pane.compare_action.isEnabled()  # one model: nothing to compare
    assert pane.detail.curves.job_id == fast.job_id
    qtbot.waitUntil(lambda: (fast.job_id, "loss") in pane.detail.curves.plot.curves)

    selection = pane.table.selectionModel()
    other = pane.filtered.mapFromSource(pane.models.index(pane.models.find(slow.id), 0))
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.select(QItemSelection(other, other), flags)
    assert {m.id for m in pane.selected_models()} == {fast.id, slow.id}
    assert pane.compare_action.isEnabled()
    assert not pane.delete_action.isEnabled()  # acts on one model, not on a selection
    assert pane.compare_action.shortcut().toString() == "Ctrl+Shift+C"
    pane.compare_action.trigger()
    dialog = pane.comparison
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.comparison is not None, timeout=60_000)
    names = [m.name for m in pane.selected_models()]
    summary = dialog.summary
    rows = {summary.index(r, 0).data(): r for r in range(summary.rowCount())}
    assert "eval_loss" in rows and "Job" in rows
    best = dialog.comparison.metrics[[n for n, _ in dialog.comparison.metrics].index("eval_loss")]
    winner = best_column("eval_loss", best[1])
    if winner is not None:
        cell = summary.index(rows["eval_loss"], winner + 1)
        assert cell.data(Qt.ItemDataRole.FontRole).bold()
    differences = dialog.differences
    fields = [differences.index(r, 0).data() for r in range(differences.rowCount())]
    assert fields == ["hyperparameters.learning_rate"]
    plotted = {run for run, _metric in dialog.plot.curves}
    assert plotted == {str(fast.id), str(slow.id)}

    prompt = dialog.prompt
    assert [column.model.name for column in prompt.columns] == names
    dialog.tabs.setCurrentWidget(prompt)
    prompt.temperature.setValue(0.0)
    prompt.max_new_tokens.setValue(8)
    qtbot.keyClicks(prompt.input, PROMPT)
    qtbot.keyClick(prompt.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert prompt.busy and not prompt.send_button.isEnabled()
    qtbot.waitUntil(lambda: not prompt.busy, timeout=240_000)
    for column in prompt.findChildren(AnswerColumn):
        assert "tokens" in column.status.text(), column.status.text()
        assert column.text == cli_answers[column.model.name]  # greedy: the same answer
    sessions = [column.session for column in prompt.columns]
    assert all(session.process is not None for session in sessions)
    dialog.close()
    qtbot.waitUntil(lambda: all(session.process is None for session in sessions))
    assert pane.comparison is None

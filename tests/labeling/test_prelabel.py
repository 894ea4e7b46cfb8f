"""Pre-labeling with a classifier trained here: suggestions for every unlabeled sample with
the model's own confidence (the playground's classify gives the same), least confident
first, accepted with Enter, found when a label disagrees; through the service, the pane
(with progress) and the command line. Real engine processes on tiny-bert."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.datasets.samples import sample
from app.errors import UserError
from app.labeling.prelabel import prelabel
from app.models.playground import target_for_model, try_blocking
from app.tasks import TaskState
from tests.conftest import run_main
from tests.engine.helpers import make_spec, run_engine, spec_file

# Starts engines: left out of the quick tier.
pytestmark = pytest.mark.slow

CLASSES = ["negative", "neutral", "positive"]


@pytest.fixture
def trained(core, tmp_path):
    """The reviews sample in the store, a project with 10 samples labeled, and a tiny-bert
    classifier trained on the reviews, registered as a model folder."""
    data = sample("reviews").write(tmp_path)
    core.datasets.import_path(data, "reviews")
    spec = make_spec(
        tmp_path, "text_classification", data, model="tiny-bert", max_steps=12, batch_size=16
    )
    code, _events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    model = core.models.add_folder(Path(spec["output_dir"]))
    labeling = core.labeling
    project = labeling.create("sentiment", "reviews", CLASSES)
    for index in range(10):
        labeling.set_label(project, index, ["positive"])
    return labeling, project, model


def test_suggestions_carry_the_models_confidence(trained) -> None:
    labeling, project, model = trained
    result = prelabel(labeling, project, model)
    assert (result.suggested, result.unmatched, result.cancelled) == (590, 0, False)
    suggestions = labeling.suggestions(project)
    assert set(suggestions) == set(range(10, 600))  # the person's labels are left alone
    assert all(s.classes[0] in CLASSES and 0 < s.confidence <= 1 for s in suggestions.values())

    texts = labeling.values(project, 10, 5)
    outcome = try_blocking(
        target_for_model(model), {"op": "classify", "texts": texts}, lambda _a: None
    )
    for offset, prediction in enumerate(outcome["predictions"]):
        top = prediction["labels"][0]
        assert suggestions[10 + offset].classes == [top["label"]]
        # Stored to 6 places; batched and single forwards differ in the last float bits.
        assert suggestions[10 + offset].confidence == pytest.approx(top["p"], abs=1e-5)

    other = labeling.create("pets", "reviews", ["cat", "dog"])
    with pytest.raises(UserError, match="none of them is one of pets"):
        prelabel(labeling, other, model)
    stopped = TaskState()
    stopped.cancel()  # before the first chunk: nothing is suggested
    again = labeling.create("again", "reviews", CLASSES)
    assert prelabel(labeling, again, model, stopped) == type(result)(0, 0, True)


def test_the_pane_prelabels_orders_by_confidence_and_accepts_with_enter(
    trained, core, qtbot
) -> None:
    from views.labeling.pane import LabelingPane
    from views.labeling.session import DISAGREE, LEAST_CONFIDENT

    labeling, project, model = trained
    pane = LabelingPane(core)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: pane.session is not None, timeout=30_000)
    pane.prelabel_with(model)
    assert pane.prelabeling.isVisible() and not pane.prelabel_action.isEnabled()
    qtbot.waitUntil(lambda: not pane.prelabeling.running, timeout=180_000)
    session, view = pane.session, pane.view
    assert len(session.suggestions) == 590 and pane.prelabel_action.isEnabled()

    view.filter.setCurrentIndex(view.filter.findData(LEAST_CONFIDENT))
    confidences = [session.suggestions[session.sample(i)].confidence for i in range(session.count)]
    assert confidences == sorted(confidences) and session.count == 590
    first = session.sample()
    assert "model suggests" in view.state.text() and "Enter accepts" in view.state.text()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert session.labels[first].classes == session.suggestions[first].classes
    assert session.sample(session.position) != first  # on to the next least sure

    # A label unlike the model's is found by the "disagree" filter.
    second = session.sample()
    unlike = next(c for c in CLASSES if c not in session.suggestions[second].classes)
    qtbot.keyClick(view, Qt.Key.Key_1 + CLASSES.index(unlike))
    view.filter.setCurrentIndex(view.filter.findData(DISAGREE))
    assert [session.sample(i) for i in range(session.count)] == [second]
    session.flush()
    assert labeling.labels(project)[first].classes == session.suggestions[first].classes


def test_prelabel_from_the_command_line(trained) -> None:
    _labeling, project, model = trained
    done = run_main("labels", "prelabel", project.name, "--model", str(model.id), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "590 suggestions for sentiment" in done.stdout

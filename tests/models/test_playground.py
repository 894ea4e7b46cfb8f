"""The playground end to end: real engines train tiny presets, a real `engine serve` worker
under a real QProcess streams, classifies, cancels, reloads after idleness and a crash;
answers are checked against the reference loaders in a clean process."""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import pytest

from app.models.playground import PlaygroundSession, Target, run_targets, try_blocking
from engine.generation import TOKEN_DELAY_ENV
from tests.engine.helpers import (
    classification_rows,
    image_folder,
    make_spec,
    printed_logits,
    run_engine,
    sft_rows,
    spec_file,
    write_jsonl,
)

pytestmark = pytest.mark.slow

GREEDY = """
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
folder, prompt, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
assert not {name.split(".")[0] for name in sys.modules} & {"engine", "app", "views"}
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder).eval()
ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                     max_new_tokens=count, pad_token_id=tokenizer.pad_token_id)
text = tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
print(json.dumps([text]))
"""
PROBABILITIES = """
import json, sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
folder, text = sys.argv[1], sys.argv[2]
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
with torch.no_grad():
    logits = model(**tokenizer([text], return_tensors="pt")).logits
print(json.dumps(logits.softmax(-1)[0].tolist()))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Run folders of a causal LM, a text classifier and an image classifier, trained here."""
    tmp = tmp_path_factory.mktemp("playground")
    data = {
        "gpt": ("causal_lm_sft", write_jsonl(tmp / "sft.jsonl", sft_rows(64)), "tiny-gpt2"),
        "bert": (
            "text_classification",
            write_jsonl(tmp / "cls.jsonl", classification_rows(64)),
            "tiny-bert",
        ),
        "vit": ("image_classification", image_folder(tmp / "images", 8), "tiny-vit"),
    }
    found = {}
    for name, (recipe, path, model) in data.items():
        spec = make_spec(
            tmp, recipe, path, model=model, name=name, max_steps=16, checkpoint_every=8
        )
        code, _events, stderr = run_engine(spec_file(tmp, spec))
        assert code == 0, stderr
        found[name] = tmp / name
    found["images"] = tmp / "images"
    return found


@pytest.fixture
def session(qapp):
    created = []

    def make(idle: float = 600.0) -> PlaygroundSession:
        created.append(PlaygroundSession(lambda: idle))
        return created[-1]

    yield make
    for each in created:
        each.shutdown()


def _collect(session: PlaygroundSession) -> dict[str, list]:
    seen: dict[str, list] = {"token": [], "result": [], "failed": [], "prompt": [], "crashed": []}
    session.token.connect(lambda i, t: seen["token"].append((i, t)))
    session.result.connect(lambda i, r: seen["result"].append((i, r)))
    session.failed.connect(lambda i, m: seen["failed"].append((i, m)))
    session.prompt.connect(lambda i, p: seen["prompt"].append((i, p)))
    session.crashed.connect(lambda m: seen["crashed"].append(m))
    return seen


def _result(qtbot, seen: dict[str, list], request_id: int) -> dict:
    qtbot.waitUntil(
        lambda: any(i == request_id for i, _ in seen["result"] + seen["failed"]), timeout=120_000
    )
    failed = [m for i, m in seen["failed"] if i == request_id]
    assert not failed, failed
    return next(r for i, r in seen["result"] if i == request_id)


def test_generation_streams_the_same_text_as_generate_and_shows_the_prompt(
    runs, session, qtbot
) -> None:
    playground = session()
    seen = _collect(playground)
    output = runs["gpt"] / "output"
    _result(qtbot, seen, playground.load(Target("gpt", path=output)))
    assert playground.info["task"] == "causal_lm" and playground.info["prompt_format"] == "prompt"
    asked = playground.generate(
        messages=[{"role": "user", "content": "Repeat delta"}], temperature=0, max_new_tokens=40
    )
    result = _result(qtbot, seen, asked)
    prompt = "### Prompt:\nRepeat delta\n\n### Response:\n"
    assert seen["prompt"] == [(asked, prompt)] and result["prompt"] == prompt
    pieces = [t for i, t in seen["token"] if i == asked]
    assert len(pieces) > 1, "streamed, not all at once"
    assert "".join(pieces) == result["text"]
    (reference,) = printed_logits(GREEDY, str(output), prompt, "40")
    assert result["text"] == reference
    assert result["finish"] in ("eos", "length") and result["tokens"] >= len(pieces)

    # A stop string ends the answer and is never shown.
    stop_at = reference[2:4]
    stopped = _result(
        qtbot,
        seen,
        playground.generate(text=prompt, temperature=0, max_new_tokens=40, stop=[stop_at]),
    )
    assert stopped["finish"] == "stop" and stopped["text"] == reference[: reference.index(stop_at)]

    # A seed makes a sampled answer repeatable.
    sampled = [
        _result(qtbot, seen, playground.generate(text="Re", temperature=1.0, seed=5))["text"]
        for _ in range(2)
    ]
    assert sampled[0] == sampled[1]


def test_cancel_stops_a_generation_between_tokens(runs, session, qtbot, monkeypatch) -> None:
    monkeypatch.setenv(TOKEN_DELAY_ENV, "0.05")  # 1,000 tokens would take 50 s
    playground = session()
    seen = _collect(playground)
    playground.load(Target("gpt", path=runs["gpt"] / "output"))
    asked = playground.generate(text="a", max_new_tokens=1000, min_new_tokens=1000)
    qtbot.waitUntil(lambda: any(i == asked for i, _ in seen["token"]), timeout=120_000)
    playground.cancel(asked)
    result = _result(qtbot, seen, asked)
    assert result["finish"] == "cancelled" and result["tokens"] < 1000
    assert playground.state == "ready"  # the worker stays, warm, for the next request


def test_a_checkpoint_loads_as_its_run_built_it(runs, session, qtbot) -> None:
    """The last checkpoint holds the final weights: the same greedy answer as the output."""
    targets = run_targets("gpt", runs["gpt"])
    assert [t.name for t in targets] == [
        "gpt (final model)",
        "gpt at checkpoint-16",
        "gpt at checkpoint-8",
    ]
    playground = session()
    seen = _collect(playground)
    answers = []
    for target in targets[:2]:
        playground.load(target)
        asked = playground.generate(text="### Prompt:\nRepeat kilo", temperature=0)
        answers.append(_result(qtbot, seen, asked)["text"])
    assert answers[0] == answers[1]


def test_a_crash_is_reported_and_the_next_request_starts_a_fresh_worker(
    runs, session, qtbot
) -> None:
    playground = session()
    seen = _collect(playground)
    _result(qtbot, seen, playground.load(Target("gpt", path=runs["gpt"] / "output")))
    first_pid = playground.process.processId()
    os.kill(first_pid, signal.SIGKILL)  # the worker this test started
    qtbot.waitUntil(lambda: bool(seen["crashed"]), timeout=60_000)
    assert "ended with a crash" in seen["crashed"][0]
    assert playground.state == "stopped" and playground.process is None
    result = _result(qtbot, seen, playground.generate(text="Repeat", temperature=0))
    assert result["tokens"] > 0 and playground.process.processId() != first_pid


def test_an_idle_worker_leaves_and_comes_back_on_the_next_request(runs, session, qtbot) -> None:
    playground = session(idle=1.0)
    seen = _collect(playground)
    _result(qtbot, seen, playground.load(Target("gpt", path=runs["gpt"] / "output")))
    qtbot.waitUntil(lambda: playground.process is None, timeout=60_000)
    assert not seen["crashed"] and playground.state == "stopped"
    assert _result(qtbot, seen, playground.generate(text="Re", temperature=0))["tokens"] > 0


def test_text_classifier_bars_batch_and_export(runs, qtbot, core, tmp_path) -> None:
    from views.models.playground import PlaygroundView

    playground = PlaygroundSession(lambda: 600.0)
    view = PlaygroundView(playground)
    qtbot.addWidget(view)
    output = runs["bert"] / "output"
    view.set_targets([Target("bert", path=output)], "text_classification")
    view.show()
    page = view.text_page
    assert view.pages.currentWidget() is page
    page.input.setPlainText("sunny bright happy 7")
    page.classify_input()
    qtbot.waitUntil(lambda: page.probabilities.rowCount() == 2, timeout=120_000)
    ranked = [page.probabilities.row(page.probabilities.index(r, 0)) for r in range(2)]
    reference = printed_logits(PROBABILITIES, str(output), "sunny bright happy 7")
    labels = playground.info["labels"]
    assert {r["label"]: r["p"] for r in ranked} == pytest.approx(
        dict(zip(labels, reference, strict=True)), abs=1e-5
    )
    assert ranked[0]["p"] >= ranked[1]["p"]

    texts = tmp_path / "texts.txt"
    lines = [row["text"] for row in classification_rows(70)]
    texts.write_text("\n".join(lines) + "\n")
    page.classify_file(texts)
    qtbot.waitUntil(lambda: page.predictions.rowCount() == 70, timeout=120_000)
    assert page.export_button.isEnabled()
    exported = tmp_path / "answers.csv"
    page.export_to(exported)
    qtbot.waitUntil(exported.exists, timeout=30_000)
    with exported.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["input"] for r in rows] == lines
    right = sum(r["label"] == line.split()[0].replace("sunny", "pos").replace("rainy", "neg")
                for r, line in zip(rows, lines, strict=True))  # fmt: skip
    assert right / len(rows) > 0.8  # it learned the task
    assert not list(tmp_path.glob(".*.partial"))
    playground.shutdown()


def test_image_classifier_top_classes_for_one_image_and_a_folder(runs, qtbot, core) -> None:
    from views.models.playground import PlaygroundView

    playground = PlaygroundSession(lambda: 600.0)
    view = PlaygroundView(playground)
    qtbot.addWidget(view)
    view.set_targets([Target("vit", path=runs["vit"] / "output")], "image_classification")
    view.show()
    page = view.image_page
    page.classify_images([runs["images"] / "red" / "3.png"])
    qtbot.waitUntil(lambda: page.probabilities.rowCount() == 2, timeout=120_000)
    top = page.probabilities.row(page.probabilities.index(0, 0))
    assert top["label"] == "red"
    page.classify_images([runs["images"]])
    qtbot.waitUntil(lambda: page.predictions.rowCount() == 16, timeout=120_000)
    first = page.predictions.row(page.predictions.index(0, 0))
    assert first["input"].endswith("blue/0.png")
    playground.shutdown()


def test_try_from_the_command_line(runs) -> None:
    answers: list[dict] = []
    result = try_blocking(
        Target("bert", path=runs["bert"] / "output"),
        {"op": "classify", "texts": ["rainy dark gloomy 2"]},
        answers.append,
    )
    assert result["predictions"][0]["labels"][0]["label"] == "neg"
    assert json.dumps(answers)  # every answer is plain JSON

"""First runs that learn: the tuned defaults on the sample datasets, the baseline each
result is judged against, and a split column that decides what is trained on."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, f1_score

from app.datasets.samples import sample
from app.jobs.recipes import default_spec
from app.jobs.results import verdict
from engine.data_files import DataFileError, split_names
from engine.recommended import recommended
from engine.spec import TrainingSpec
from tests.engine.helpers import engine_command, spec_file, write_jsonl


def _events(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _run(tmp_path: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    done = subprocess.run(
        engine_command(spec_file(tmp_path, spec)), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _events(Path(spec["output_dir"]).parent)


def test_a_spec_that_leaves_out_the_hyperparameters_gets_those_tuned_for_it() -> None:
    base = {"dataset": {"path": "x.csv"}, "output_dir": "/tmp/run/output"}
    preset = TrainingSpec.from_dict(
        {**base, "recipe": "text_classification", "model": {"source": "preset", "name": "b"}}
    )
    pretrained = TrainingSpec.from_dict(
        {
            **base,
            "recipe": "text_classification",
            "method": "lora",
            "model": {"source": "local", "path": "/models/bert"},
            "hyperparameters": {"epochs": 7},
        }
    )
    assert preset.hyperparameters.learning_rate == 1e-3  # random weights learn from scratch
    assert pretrained.hyperparameters.learning_rate == 5e-4
    assert pretrained.hyperparameters.epochs == 7  # what the person wrote stays
    assert default_spec()["hyperparameters"]["learning_rate"] == 1e-3  # the wizard agrees


def test_a_split_column_is_read_by_one_rule() -> None:
    rows = [{"split": "train"}, {"split": "Validation"}, {"split": "dev"}, {"split": "test"}]
    assert split_names(rows, "split", "d.csv") == ["train", "validation", "validation", "test"]
    assert split_names(rows, None, "d.csv") is None
    assert split_names([{"text": "a"}], "split", "d.csv") is None
    with pytest.raises(DataFileError, match=r"d\.csv, row 2: .*'holdout'"):
        split_names([{"split": "train"}, {"split": "holdout"}], "split", "d.csv")


def test_a_verdict_needs_more_than_a_lucky_guess() -> None:
    baseline = {"name": "majority class", "rows": 60, "accuracy": 0.34, "eval_loss": 1.0986}
    assert verdict({"accuracy": 0.43}, baseline).beaten is False  # within two std. errors
    assert verdict({"accuracy": 0.95}, baseline).beaten is True
    assert "majority class 0.340" in verdict({"accuracy": 0.95}, baseline).text
    ppl = {"name": "token frequencies", "perplexity": 30.0}
    assert verdict({"perplexity": 29.0}, ppl).beaten is False
    assert verdict({"perplexity": 3.7}, ppl).beaten is True
    assert verdict({"eval_loss": 1.0}, {}).beaten is None


@pytest.mark.slow
def test_training_follows_the_split_column_and_is_judged_by_the_majority_class(
    tmp_path: Path,
) -> None:
    rows = []
    for index in range(48):
        split = ("train", "train", "train", "validation", "validation", "test")[index % 6]
        label = "a" if index % 4 else "b"  # three quarters "a": a majority to beat
        rows.append(
            {
                "text": f"{'sunny' if label == 'a' else 'rainy'} {index}",
                "label": label,
                "split": split,
            }
        )
    data = write_jsonl(tmp_path / "split.jsonl", rows)
    spec = {
        "recipe": "text_classification",
        "model": {"source": "preset", "name": "tiny-bert"},
        "dataset": {"path": str(data), "validation_split": 0.5},  # ignored: there is a column
        "output_dir": str(tmp_path / "run" / "output"),
        "hyperparameters": {"max_steps": 3},
    }
    events = _run(tmp_path, spec)
    started = next(e for e in events if e["event"] == "started")
    count = Counter(row["split"] for row in rows)
    assert (started["train_rows"], started["validation_rows"], started["test_rows"]) == (
        count["train"],
        count["validation"],
        count["test"],
    )
    assert started["split_by"] == "split"

    train = [r for r in rows if r["split"] == "train"]
    validation = [r for r in rows if r["split"] == "validation"]
    dummy = DummyClassifier(strategy="most_frequent").fit(
        [[0]] * len(train), [r["label"] for r in train]
    )
    truth = [r["label"] for r in validation]
    guessed = dummy.predict([[0]] * len(validation))
    completed = next(e for e in events if e["event"] == "completed")
    baseline = completed["baseline"]
    assert baseline == started["baseline"]
    assert baseline["name"] == "majority class" and baseline["rows"] == len(validation)
    assert baseline["accuracy"] == pytest.approx(accuracy_score(truth, guessed))
    assert baseline["macro_f1"] == pytest.approx(f1_score(truth, guessed, average="macro"))
    written = json.loads((Path(spec["output_dir"]) / "metrics.json").read_text())
    assert written["baseline"] == baseline


SAMPLE_JOBS = {
    "instructions": (
        "causal_lm_sft",
        "tiny-gpt2",
        "full",
        {"prompt_column": "prompt", "response_column": "response"},
    ),
    "shapes": ("image_classification", "tiny-vit", "full", {}),
    "reviews": ("text_classification", "tiny-bert", "lora", {}),
}


@pytest.mark.slow
@pytest.mark.parametrize("key", list(SAMPLE_JOBS))
def test_the_tuned_defaults_learn_each_sample(tmp_path: Path, key: str) -> None:
    """Text classification with a full fine-tune is the end-to-end test's (test_first_run)."""
    recipe, model, method, columns = SAMPLE_JOBS[key]
    data = sample(key).write(tmp_path)
    spec = {
        "recipe": recipe,
        "model": {"source": "preset", "name": model},
        "dataset": {"path": str(data), **columns},
        "method": method,
        "output_dir": str(tmp_path / "run" / "output"),
    }
    events = _run(tmp_path, spec)
    started = next(e for e in events if e["event"] == "started")
    tuned = recommended(recipe, method, spec["model"])
    assert started["total_steps"] >= tuned["epochs"]
    completed = next(e for e in events if e["event"] == "completed")
    judged = verdict(completed["final"], completed["baseline"])
    assert judged is not None and judged.beaten, judged

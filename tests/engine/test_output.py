"""The output folder loads with the one-line Auto loaders (transformers / PEFT) in a fresh
process with no SparkTrainer import, after it is moved elsewhere, and gives the same logits
as the model the engine finished with (read from its final checkpoint)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.engine.helpers import (
    classification_rows,
    make_spec,
    printed_logits,
    run_engine,
    sft_rows,
    spec_file,
    write_jsonl,
)

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

FROM_OUTPUT = """
import json, sys, torch
from pathlib import Path
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer
from peft import AutoPeftModelForCausalLM, AutoPeftModelForSequenceClassification
output, recipe, method = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
causal = recipe == "causal_lm_sft"
if method == "lora":
    auto = AutoPeftModelForCausalLM if causal else AutoPeftModelForSequenceClassification
else:
    auto = AutoModelForCausalLM if causal else AutoModelForSequenceClassification
model = auto.from_pretrained(output)
assert not {name.split(".")[0] for name in sys.modules} & {"engine", "app", "views"}
tokenizer = AutoTokenizer.from_pretrained(output)
ids = tokenizer("Repeat kilo", return_tensors="pt").input_ids
model.eval()
with torch.no_grad():
    logits = model(input_ids=ids).logits
    print(json.dumps((logits[0, -1] if logits.ndim == 3 else logits[0]).tolist()))
"""

FROM_CHECKPOINT = """
import json, sys, torch
from pathlib import Path
from engine.spec import load_spec
from engine.recipes import create_recipe
from engine.trainer import Trainer
from engine import checkpoint
spec = load_spec(sys.argv[1])
class Quiet:
    def emit(self, *a, **k): pass
class NoCommands:
    def poll(self): return []
trainer = Trainer(spec, Quiet(), NoCommands())
trainer.setup()
weights, _, _ = checkpoint.load(checkpoint.latest(trainer.checkpoints))
trainer.model.load_state_dict(weights, strict=spec.method != "lora")
ids = trainer.recipe.tokenizer("Repeat kilo", return_tensors="pt").input_ids
trainer.model.eval()
with torch.no_grad():
    logits = trainer.model(input_ids=ids).logits
    print(json.dumps((logits[0, -1] if logits.ndim == 3 else logits[0]).tolist()))
"""


def assert_same_logits(loaded: list[float], trained: list[float]) -> None:
    # Same weights, but two processes may sum in a different order (thread counts differ
    # on a loaded machine): float32 noise, far below what a wrong weight would give.
    assert len(loaded) == len(trained)
    scale = max(abs(b) for b in trained)
    assert max(abs(a - b) for a, b in zip(loaded, trained, strict=True)) < 1e-5 + 1e-4 * scale


@pytest.mark.parametrize(
    ("recipe", "method"),
    [
        ("causal_lm_sft", "full"),
        ("causal_lm_sft", "lora"),
        ("text_classification", "full"),
        ("text_classification", "lora"),
    ],
)
def test_output_loads_in_a_fresh_process_with_the_same_logits(tmp_path, recipe, method) -> None:
    rows = sft_rows(32) if recipe == "causal_lm_sft" else classification_rows(32)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    model = "tiny-gpt2" if recipe == "causal_lm_sft" else "tiny-bert"
    spec = make_spec(
        tmp_path, recipe, data, model=model, method=method, max_steps=6, checkpoint_every=6
    )
    spec["base_models_dir"] = str(tmp_path / "bases")  # what the app gives every job
    path = spec_file(tmp_path, spec)
    code, _, stderr = run_engine(path)
    assert code == 0, stderr
    moved = tmp_path / "elsewhere" / "my model"
    moved.parent.mkdir()
    shutil.move(spec["output_dir"], moved)  # the folder alone, wherever the person puts it
    loaded = printed_logits(FROM_OUTPUT, str(moved), recipe, method, cwd=moved.parent)
    trained = printed_logits(FROM_CHECKPOINT, str(path))
    assert_same_logits(loaded, trained)


def test_an_adapter_of_a_local_folder_base_loads_on_its_own_after_a_move(tmp_path) -> None:
    """The base is a person's folder (a full fine-tune here): the adapter names it where it
    is, so the adapter folder alone, moved anywhere, loads with AutoPeftModel."""
    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(32))
    first = make_spec(tmp_path, "text_classification", data, model="tiny-bert", max_steps=2)
    code, _, stderr = run_engine(spec_file(tmp_path, first))
    assert code == 0, stderr
    base = tmp_path / "my models" / "bert"
    shutil.copytree(first["output_dir"], base)
    spec = make_spec(
        tmp_path, "text_classification", data, model="tiny-bert", method="lora",
        name="adapter", max_steps=4, checkpoint_every=4,
    )  # fmt: skip
    spec["model"] = {"source": "local", "path": str(base)}
    path = spec_file(tmp_path, spec)
    code, _, stderr = run_engine(path)
    assert code == 0, stderr
    moved = tmp_path / "elsewhere" / "adapter"
    moved.parent.mkdir()
    shutil.move(spec["output_dir"], moved)
    loaded = printed_logits(
        FROM_OUTPUT, str(moved), "text_classification", "lora", cwd=moved.parent
    )
    assert_same_logits(loaded, printed_logits(FROM_CHECKPOINT, str(path)))


def test_the_card_is_facts_with_hugging_face_metadata(tmp_path) -> None:
    from huggingface_hub import ModelCard

    data = write_jsonl(tmp_path / "d.jsonl", classification_rows(40))
    spec = make_spec(tmp_path, "text_classification", data, model="tiny-bert", method="lora")
    spec["hyperparameters"].update(max_steps=4, eval_every=2)
    code, _, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    readme = (Path(spec["output_dir"]) / "README.md").read_text()
    assert "More Information Needed" not in readme and "{{" not in readme
    card = ModelCard(readme)  # the hub library's own parser of the metadata header
    assert card.data.library_name == "peft"
    assert card.data.pipeline_tag == "text-classification"
    assert "accuracy" in card.text and "majority class" in card.text
    assert "AutoPeftModelForSequenceClassification" in card.text
    assert "## Intended use" in card.text and "## Limitations" in card.text

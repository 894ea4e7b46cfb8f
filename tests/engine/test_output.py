"""The output folder loads with from_pretrained / PEFT in a fresh process and gives the
same logits as the model the engine finished with (read from its final checkpoint)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.engine.helpers import (
    classification_rows,
    make_spec,
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
output, recipe, method = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
auto = AutoModelForCausalLM if recipe == "causal_lm_sft" else AutoModelForSequenceClassification
if method == "lora":
    from peft import PeftModel
    model = PeftModel.from_pretrained(auto.from_pretrained(output / "base_model"), output)
else:
    model = auto.from_pretrained(output)
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
trainer = Trainer(spec, Quiet(), None)
trainer.setup()
weights, _, _ = checkpoint.load(checkpoint.latest(trainer.checkpoints))
trainer.model.load_state_dict(weights, strict=spec.method != "lora")
ids = trainer.recipe.tokenizer("Repeat kilo", return_tensors="pt").input_ids
trainer.model.eval()
with torch.no_grad():
    logits = trainer.model(input_ids=ids).logits
    print(json.dumps((logits[0, -1] if logits.ndim == 3 else logits[0]).tolist()))
"""


def _logits(script: str, *args: str) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


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
    path = spec_file(tmp_path, spec)
    code, _, stderr = run_engine(path)
    assert code == 0, stderr
    output = Path(spec["output_dir"])
    loaded = _logits(FROM_OUTPUT, str(output), recipe, method)
    trained = _logits(FROM_CHECKPOINT, str(path))
    assert len(loaded) == len(trained)
    assert max(abs(a - b) for a, b in zip(loaded, trained, strict=True)) < 1e-5

"""`engine merge ADAPTER OUTPUT`: a LoRA adapter merged into its base, saved as a full model.

Runs in its own process (it needs torch, and a large base takes a while): progress and the
ending are JSON lines on stdout, as a training run's events are. OUTPUT must not exist; the
model is written beside it and renamed into place, so a kill leaves nothing half-written.
"""

from __future__ import annotations

import json
import shutil
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from engine.model_card import loader_lines
from engine.protocol import EXIT_COMPLETED, EXIT_FAILED, encode, make_event

PHASES = ("loading the base and the adapter", "merging", "saving")


def _auto_class(task_type: str | None) -> Any:
    import peft

    return {
        "CAUSAL_LM": peft.AutoPeftModelForCausalLM,
        "SEQ_CLS": peft.AutoPeftModelForSequenceClassification,
    }.get(task_type or "", peft.AutoPeftModel)


def _preprocessor(folder: Path) -> Any:
    from transformers import AutoImageProcessor, AutoTokenizer

    if (folder / "preprocessor_config.json").exists():
        return AutoImageProcessor.from_pretrained(folder)
    if (folder / "tokenizer_config.json").exists():
        return AutoTokenizer.from_pretrained(folder)
    return None


def merge(adapter: Path, output: Path, out: TextIO) -> None:
    def progress(done: int) -> None:
        phase = PHASES[done] if done < len(PHASES) else "done"
        event = make_event("progress", phase=phase, done=done, total=len(PHASES))
        out.write(encode(event) + "\n")
        out.flush()

    if output.exists():
        raise FileExistsError(f"{output} already exists; choose a new folder")
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    progress(0)
    model = _auto_class(config.get("task_type")).from_pretrained(adapter)
    progress(1)
    merged = model.merge_and_unload()
    progress(2)
    staging = output.with_name(f".tmp-{output.name}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    merged.save_pretrained(staging, safe_serialization=True)
    preprocessor = _preprocessor(adapter)
    if preprocessor is not None:
        preprocessor.save_pretrained(staging)
    facts_file = adapter / "sparktrainer.json"
    if facts_file.exists():
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
        facts.update(method="merged", loader=loader_lines(facts["recipe"], "full"))
        facts["name"] = f"{facts.get('name', adapter.name)} (merged)"
        from engine.output_card import write_card

        write_card(staging, facts)
    staging.rename(output)
    progress(3)


def main(adapter: Path, output: Path, out: TextIO) -> int:
    try:
        merge(adapter, output, out)
    except Exception as error:
        traceback.print_exc()
        failed = make_event(
            "failed",
            kind="internal",
            error=f"{type(error).__name__}: {error}",
            traceback=traceback.format_exc(),
        )
        out.write(encode(failed) + "\n")
        out.flush()
        return EXIT_FAILED
    out.write(encode(make_event("completed", step=0, output_path=str(output), final={})) + "\n")
    out.flush()
    sys.stderr.flush()
    return EXIT_COMPLETED

"""Redaction of every form a secret takes on its way to a log or an event (issue #15,
item 7): any case, spaced out by a tokenizer, truncated, in a traceback, with a CRLF."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
from pathlib import Path

import pytest

from app.credentials.redaction import Redactor
from engine.protocol import redact, secret_pattern

TOKEN = "hf_SparkTrainerLeakCanary0123456789"


def _forms(secret: str) -> list[str]:
    """How a secret shows up in decoded or truncated text, written out independently."""
    return [
        secret,
        secret.lower(),
        " ".join(secret.lower()),  # a byte tokenizer's spaced-out decode
        "hf _ sparktrainerleakcanary0123456789",  # an uncased word-piece decode
        secret[:12],  # cut by max_seq_length
    ]


def test_every_form_is_redacted_and_ordinary_text_is_not() -> None:
    pattern = secret_pattern([TOKEN + "\r\n"])
    for form in _forms(TOKEN):
        assert "[redacted]" in redact(f"before {form} after", pattern), form
        assert form not in redact(f"before {form} after", pattern)
    assert redact("the hf_Spar cat", pattern) == "the hf_Spar cat"  # 7 chars: not the secret
    assert redact("nothing here", pattern) == "nothing here"


def test_a_logged_traceback_is_redacted() -> None:
    redactor = Redactor()
    redactor.add(TOKEN + "\r\n")  # piped with a Windows line ending
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    log = logging.getLogger("test-redaction")
    log.addHandler(handler)
    try:
        raise ValueError(f"the Hub refused {TOKEN}")
    except ValueError:
        log.exception("upload failed with %s", TOKEN.lower())
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "ValueError" in written and "[redacted]" in written
    assert not any(form in written for form in _forms(TOKEN))


@pytest.mark.slow
def test_engine_run_with_only_hf_token_redacts_every_form(tmp_path) -> None:
    """`engine run` started by hand: the token is in HF_TOKEN, no list of names."""
    from tests.engine.helpers import engine_command, make_spec, spec_file, write_jsonl

    rows = [{"prompt": f"remember {form}", "response": "no"} for form in _forms(TOKEN)]
    rows += [{"prompt": "plain", "response": "text"}] * 8
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2", max_steps=2, batch_size=13)
    environment = {k: v for k, v in os.environ.items() if k != "SPARKTRAINER_REDACT_ENV"}
    environment["HF_TOKEN"] = TOKEN
    done = subprocess.run(
        engine_command(spec_file(tmp_path, spec)),
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run_dir = Path(spec["output_dir"]).parent
    events = (run_dir / "events.jsonl").read_text()
    sample = next(json.loads(line) for line in events.splitlines() if '"event":"sample"' in line)
    assert any("[redacted]" in row["text"] for row in sample["rows"])  # it was there
    written = events + (run_dir / "engine.log").read_text() + done.stdout
    leaked = [form for form in _forms(TOKEN) if form in written]
    assert leaked == []

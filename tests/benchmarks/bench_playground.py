"""Playground latency: a warm `engine serve` worker against a bare `model.generate`.

The same tiny-gpt2 folder, prompt and greedy settings in both; each runs in a fresh
process of its own, interleaved. The worker is timed from the benchmark's side of its
pipes (the request written → the first streamed token read, and → the result read), so
the figures include everything the playground adds: the request, prompt rendering,
streaming and JSON. Targets: time to first token ≤ 1.2× generate's, tokens/s while
streaming ≥ 0.9× generate's. The cold start (process + imports + load) is given against
`import torch, transformers` for context.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import Figure, median

ROOT = Path(__file__).resolve().parents[2]
FIRST_TOKEN_TARGET = 1.2
STREAM_TARGET = 0.9
PROMPT = "### Prompt:\nRepeat alpha bravo\n\n### Response:\n"

MAKE_MODEL = r"""
import sys, torch
from engine import presets
torch.manual_seed(0)
tokenizer = presets.byte_tokenizer()
model = presets.causal_lm("tiny-gpt2", tokenizer)
model.save_pretrained(sys.argv[1], safe_serialization=True)
tokenizer.save_pretrained(sys.argv[1])
"""

BARE = r"""
import json, sys, time, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
folder, prompt, tokens, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder).eval()
def run(count):
    began = time.perf_counter()
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.inference_mode():
        model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                       max_new_tokens=count, min_new_tokens=count,
                       pad_token_id=tokenizer.pad_token_id)
    return time.perf_counter() - began
run(tokens)  # warm, as the worker is
first = [run(1) for _ in range(repeats)]
whole = [run(tokens) for _ in range(repeats)]
print(json.dumps({"first": first, "whole": whole}))
"""


class Worker:
    def __init__(self, folder: Path) -> None:
        self.began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "engine", "serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self.next_id = 0
        self.ask({"op": "load", "path": str(folder)})
        self.cold = time.perf_counter() - self.began

    def ask(self, request: dict) -> tuple[float | None, float, dict]:
        """Seconds to the first token (None without one), to the result, and the result."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.next_id += 1
        began = time.perf_counter()
        self.process.stdin.write(json.dumps({"id": self.next_id, **request}) + "\n")
        self.process.stdin.flush()
        first = None
        for line in self.process.stdout:
            answer = json.loads(line)
            if answer["event"] == "token" and answer.get("text") and first is None:
                first = time.perf_counter() - began
            if answer["event"] in ("result", "error"):
                assert answer["event"] == "result", answer
                return first, time.perf_counter() - began, answer
        raise RuntimeError("the worker ended")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _import_seconds() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, transformers"], check=True)
    return time.perf_counter() - began


def run(quick: bool = False) -> list[Figure]:
    name = "playground"
    tokens, repeats = (64, 5) if quick else (128, 15)
    generate = {"text": PROMPT, "temperature": 0, "min_new_tokens": tokens}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tiny-gpt2"
        subprocess.run([sys.executable, "-c", MAKE_MODEL, str(folder)], cwd=ROOT, check=True)
        imports, colds, bare_first, bare_whole, firsts, wholes = [], [], [], [], [], []
        for _ in range(2 if quick else 3):
            imports.append(_import_seconds())
            out = subprocess.run(
                [sys.executable, "-c", BARE, str(folder), PROMPT, str(tokens), str(repeats)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            bare = json.loads(out.stdout.strip().splitlines()[-1])
            bare_first += bare["first"]
            bare_whole += bare["whole"]
            worker = Worker(folder)
            colds.append(worker.cold)
            worker.ask({"op": "generate", **generate, "max_new_tokens": tokens})  # warm
            for _ in range(repeats):
                first, whole, _ = worker.ask({"op": "generate", **generate, "max_new_tokens": 1})
                firsts.append(first or whole)  # a special token shows no text: its result
            for _ in range(repeats):
                _first, whole, result = worker.ask(
                    {"op": "generate", **generate, "max_new_tokens": tokens}
                )
                assert result["tokens"] == tokens
                wholes.append(whole)
            worker.close()
    first_ratio = median(firsts) / median(bare_first)
    stream_ratio = median(bare_whole) / median(wholes)  # tokens/s: worker ÷ bare
    return [
        Figure(name, "bare generate: first token (median)", median(bare_first) * 1000, "ms"),
        Figure(name, "warm worker: first token (median)", median(firsts) * 1000, "ms"),
        Figure(
            name,
            "first token: worker / generate",
            first_ratio,
            "×",
            f"≤ {FIRST_TOKEN_TARGET}",
            first_ratio <= FIRST_TOKEN_TARGET,
        ),
        Figure(name, "bare generate tokens/s (median)", tokens / median(bare_whole), "tok/s"),
        Figure(name, "streamed tokens/s (median)", tokens / median(wholes), "tok/s"),
        Figure(
            name,
            "tokens/s: streamed / generate",
            stream_ratio,
            "×",
            f"≥ {STREAM_TARGET}",
            stream_ratio >= STREAM_TARGET,
        ),
        Figure(name, "import torch, transformers (median)", median(imports), "s"),
        Figure(name, "cold playground: start + load (median)", median(colds), "s"),
        Figure(name, "cold playground / imports", median(colds) / median(imports), "×"),
    ]

"""`engine serve`: the playground's warm worker (DESIGN.md §8).

Requests are JSON lines on stdin, `{"id", "op", …}`:

* `load`: `{"path": FOLDER}` (a model or adapter folder) or `{"spec": RUN/spec.json,
  "checkpoint": FOLDER}`; replaces the model held.
* `generate`: `{"messages": [{role, content}, …]}` (written with the model's chat template
  or the prompt format it was trained on) or `{"text": …}` (raw completion), with
  `max_new_tokens`, `temperature`, `top_p`, `top_k`, `seed`, `stop`.
* `classify`: `{"texts": […]}` or `{"images": [paths or folders]}`, with `top_k`.
* `cancel`: `{"target": ID}`: a running request ends between two tokens (or batches), a
  queued one never starts.

Answers are JSON lines on stdout, each with the request's id: `token` (`text`; the first
of a generation also carries the `prompt` exactly as the model receives it), `progress`
(`done`, `total`, for a batch), and one `result` or `error` that ends every request. The
worker exits 0 when stdin closes or after `--idle-timeout` seconds without a request.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, TextIO

from engine.protocol import encode

BATCH = 32
IDLE_TIMEOUT_S = 600.0


class Worker:
    def __init__(self, out: TextIO, idle_timeout: float) -> None:
        self.out = out
        self.idle_timeout = idle_timeout
        self.requests: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.loaded: Any = None
        self._lock = threading.Lock()
        self._current: Any = None
        self._cancel = threading.Event()
        self._cancelled: set[Any] = set()

    # -- answers -----------------------------------------------------------------------

    def answer(self, request_id: Any, event: str, *, flush: bool = True, **fields: Any) -> None:
        """One answer line; without `flush` it leaves with the next one (one write, one
        wake-up of the reader for both)."""
        line = encode({"id": request_id, "event": event, **fields}) + "\n"
        with self._lock:
            self.out.write(line)
            if flush:
                self.out.flush()

    # -- reading stdin (a thread: a cancel must get through while a request runs) ------

    def read(self, source: TextIO) -> None:
        for line in source:
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                if not isinstance(request, dict) or "op" not in request:
                    raise ValueError("a request is an object with an op")
            except ValueError as error:
                self.answer(None, "error", error=f"unreadable request: {error}", kind="request")
                continue
            if request["op"] == "cancel":
                self._cancel_request(request)
            else:
                self.requests.put(request)
        self.requests.put(None)

    def _cancel_request(self, request: dict[str, Any]) -> None:
        target = request.get("target")
        with self._lock:
            running = target == self._current
            if running:
                self._cancel.set()
            else:
                self._cancelled.add(target)
        self.answer(request.get("id"), "result", target=target, running=running)

    # -- the loop ----------------------------------------------------------------------

    def run(self, source: TextIO) -> int:
        threading.Thread(target=self.read, args=(source,), name="requests", daemon=True).start()
        while True:
            try:
                request = self.requests.get(timeout=self.idle_timeout)
            except queue.Empty:
                return 0  # left alone: give the memory back
            if request is None:
                return 0
            request_id = request.get("id")
            with self._lock:
                if request_id in self._cancelled:
                    self._cancelled.discard(request_id)
                    skipped = True
                else:
                    self._current, skipped = request_id, False
                    self._cancel.clear()
            if skipped:
                self.answer(request_id, "error", error="cancelled", kind="cancelled")
                continue
            try:
                self.answer(request_id, "result", **self.handle(request))
            except Exception as error:
                from engine.errors import EngineFailure
                from engine.runtime import is_out_of_memory

                kind = (
                    "oom"
                    if is_out_of_memory(error)
                    else getattr(error, "kind", "config")
                    if isinstance(error, EngineFailure)
                    else "internal"
                )
                if kind == "config":
                    message = str(error)
                else:
                    traceback.print_exc()  # stderr: the crash report's detail
                    message = f"{type(error).__name__}: {error}"
                self.answer(request_id, "error", error=message, kind=kind)
            finally:
                with self._lock:
                    self._current = None

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        from engine.errors import ConfigError

        op = request["op"]
        if op == "load":
            return self.load(request)
        if op not in ("generate", "classify"):
            raise ConfigError(f"op: unknown operation {op!r}")
        if self.loaded is None:
            raise ConfigError("no model is loaded: send a load request first")
        if op == "generate":
            return self.generate(request)
        return self.classify(request)

    # -- operations --------------------------------------------------------------------

    def load(self, request: dict[str, Any]) -> dict[str, Any]:
        from engine.errors import ConfigError
        from engine.playground_models import load_checkpoint, load_folder

        self.loaded = None  # the old model's memory goes before the new one arrives
        if request.get("checkpoint"):
            if not request.get("spec"):
                raise ConfigError("spec: a checkpoint is loaded with its run's spec.json")
            self.loaded = load_checkpoint(Path(request["spec"]), Path(request["checkpoint"]))
        elif request.get("path"):
            self.loaded = load_folder(Path(request["path"]))
        else:
            raise ConfigError("path: name a model folder, or a checkpoint and its spec")
        return self.loaded.describe()

    def generate(self, request: dict[str, Any]) -> dict[str, Any]:
        from engine.errors import ConfigError
        from engine.generation import Sampling, stream_generate
        from engine.prompts import render_history
        from engine.spec import PLAIN_TEMPLATE

        loaded = self.loaded
        if loaded.task != "causal_lm":
            raise ConfigError(f"this model is a {loaded.task.replace('_', ' ')} model")
        sampling = Sampling.from_request(request)
        messages = request.get("messages")
        if messages is not None:
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and "role" in m and "content" in m for m in messages
            ):
                raise ConfigError("messages: a list of {role, content} objects")
            plain = PLAIN_TEMPLATE if loaded.prompt_format == "prompt" else None
            prompt = render_history(loaded.preprocessor, messages, plain=plain)
        else:
            prompt = str(request.get("text", ""))
        request_id = request.get("id")
        told = False

        def emit(text: str) -> None:
            nonlocal told
            if told:
                self.answer(request_id, "token", text=text)
            else:  # the prompt rides with the first text: one message less before it
                told = True
                self.answer(request_id, "token", text=text, prompt=prompt)

        result = stream_generate(
            loaded.model, loaded.preprocessor, prompt, sampling, self._cancel, emit
        )
        if not told:  # the prompt still goes out first, in the same write as the result
            self.answer(request_id, "token", text="", prompt=prompt, flush=False)
        return result

    def classify(self, request: dict[str, Any]) -> dict[str, Any]:
        import torch

        from engine.errors import ConfigError

        loaded = self.loaded
        labels = loaded.labels
        top_k = max(1, min(int(request.get("top_k") or len(labels)), len(labels)))
        if loaded.task == "text_classification":
            items = request.get("texts")
            if not isinstance(items, list):
                raise ConfigError("texts: a list of strings to classify")
        elif loaded.task == "image_classification":
            items = image_files(request.get("images"))
        else:
            raise ConfigError("this model generates text: send a generate request")
        predictions: list[dict[str, Any]] = []
        request_id = request.get("id")
        for start in range(0, len(items), BATCH):
            if self._cancel.is_set():
                return {"predictions": predictions, "finish": "cancelled"}
            chunk = items[start : start + BATCH]
            with torch.inference_mode():
                if loaded.task == "text_classification":
                    done = self._classify_texts([str(t) for t in chunk])
                else:
                    done = self._classify_images(chunk)
            for item, probabilities in zip(chunk, done, strict=True):
                predictions.append(_ranked(item, probabilities, labels, top_k))
            self.answer(request_id, "progress", done=len(predictions), total=len(items))
        return {"predictions": predictions, "finish": "done"}

    def _classify_texts(self, texts: list[str]) -> list[Any]:
        loaded = self.loaded
        tokenizer = loaded.preprocessor
        limit = min(int(getattr(tokenizer, "model_max_length", 512) or 512), 512)
        batch = tokenizer(
            texts, padding=True, truncation=True, max_length=limit, return_tensors="pt"
        )
        logits = loaded.model(**batch.to(loaded.device)).logits
        return list(logits.float().softmax(-1).cpu())

    def _classify_images(self, paths: list[str]) -> list[Any]:
        from engine.images import open_rgb

        loaded = self.loaded
        results: list[Any] = [None] * len(paths)
        images, where = [], []
        for i, path in enumerate(paths):
            try:
                images.append(open_rgb(path))
                where.append(i)
            except Exception as error:  # PIL raises many kinds: each bad file is one row
                results[i] = f"unreadable image ({error})"
        if images:
            pixels = loaded.preprocessor(images=images, return_tensors="pt")["pixel_values"]
            logits = loaded.model(pixel_values=pixels.to(loaded.device)).logits
            for i, row in zip(where, logits.float().softmax(-1).cpu(), strict=True):
                results[i] = row
        return results


def image_files(value: Any) -> list[str]:
    """Image paths, a folder standing for the images in it (sorted)."""
    from engine.errors import ConfigError
    from engine.images import IMAGE_SUFFIXES

    if not isinstance(value, list) or not value:
        raise ConfigError("images: a list of image files or folders")
    files: list[str] = []
    for entry in value:
        path = Path(str(entry))
        if path.is_dir():
            files += sorted(
                str(p)
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            files.append(str(path))
    if not files:
        raise ConfigError(f"images: no image files in {', '.join(map(str, value))}")
    return files


def _ranked(item: Any, probabilities: Any, labels: list[str], top_k: int) -> dict[str, Any]:
    if isinstance(probabilities, str):
        return {"input": item, "error": probabilities, "labels": []}
    values = probabilities.tolist()
    order = sorted(range(len(values)), key=lambda i: -values[i])[:top_k]
    return {
        "input": item,
        "labels": [{"label": labels[i], "p": round(values[i], 6)} for i in order],
    }


def main(idle_timeout: float, out: TextIO) -> int:
    return Worker(out, idle_timeout).run(sys.stdin)

"""Streamed generation with `model.generate`: text out as it is made, stop strings, cancel.

The library's own loop does the sampling (temperature, top-p, top-k, seed); a streamer sees
each new token and a stopping criterion ends the loop between tokens when the person
cancels or a stop string appears. Text is emitted only once it can no longer turn out to be
the start of a stop string, so a stop string is never shown.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from engine.errors import ConfigError

REPLACEMENT = "\ufffd"
"""What a decoder shows for the first bytes of a character still being generated."""
MAX_NEW_TOKENS = 4096


TOKEN_DELAY_ENV = "SPARKTRAINER_ENGINE_TEST_TOKEN_DELAY"
"""Test hook: seconds to wait after each token, so a test's cancel surely lands mid-answer."""


@dataclass
class Sampling:
    max_new_tokens: int = 128
    min_new_tokens: int = 0
    """The end-of-text token is held back until this many tokens are out."""
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 50
    seed: int | None = None
    stop: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Sampling:
        def number(name: str, kind: type, low: float, high: float) -> Any:
            value = request.get(name, getattr(cls, name))
            try:
                value = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{name}: {value!r} is not a number") from None
            if not low <= value <= high:
                raise ConfigError(f"{name}: {value} is outside {low} to {high}")
            return value

        stop = request.get("stop") or []
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise ConfigError("stop: a list of strings")
        seed = request.get("seed")
        return cls(
            max_new_tokens=number("max_new_tokens", int, 1, MAX_NEW_TOKENS),
            min_new_tokens=number("min_new_tokens", int, 0, MAX_NEW_TOKENS),
            temperature=number("temperature", float, 0.0, 10.0),
            top_p=number("top_p", float, 0.0, 1.0),
            top_k=number("top_k", int, 0, 100_000),
            seed=None if seed is None else number("seed", int, 0, 2**63 - 1),
            stop=[s for s in stop if s],
        )

    def generate_kwargs(self) -> dict[str, Any]:
        lengths = {
            "max_new_tokens": self.max_new_tokens,
            "min_new_tokens": min(self.min_new_tokens, self.max_new_tokens),
        }
        if self.temperature <= 0:
            return {"do_sample": False, **lengths}
        return {
            "do_sample": True,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            **lengths,
        }


STREAM_INTERVAL_S = 0.01
"""Text goes out at most this often (the first token at once): a fast model's tokens are
sent a few at a time, a slow one's one by one, and decoding keeps off the hot loop."""


class TextStream:
    """Receives token ids from `generate`; hands out text that is final."""

    def __init__(self, tokenizer: Any, stops: list[str], emit: Callable[[str], None]) -> None:
        self.tokenizer, self.stops, self.emit = tokenizer, stops, emit
        self.ids: list[int] = []
        self.sent = 0
        self.text = ""
        self.stopped = False
        self.first_token_at: float | None = None
        self._prompt_seen = False
        self._sent_at = 0.0
        self._delay = float(os.environ.get(TOKEN_DELAY_ENV, "0") or 0)
        self._decoded: tuple[int, str] = (0, "")

    def put(self, value: torch.Tensor) -> None:
        if not self._prompt_seen:  # generate hands the prompt over first
            self._prompt_seen = True
            return
        if self.stopped:
            return
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()
        self.ids.extend(int(i) for i in value.reshape(-1).tolist())
        if self._delay:
            time.sleep(self._delay)
        now = time.monotonic()
        if now - self._sent_at >= STREAM_INTERVAL_S:
            self._sent_at = now
            self._update(final=False)

    def end(self) -> None:
        if not self.stopped:
            self._update(final=True)

    def _update(self, *, final: bool) -> None:
        if self._decoded[0] != len(self.ids):  # the end often follows the last token at once
            self._decoded = (
                len(self.ids),
                self.tokenizer.decode(self.ids, skip_special_tokens=True),
            )
        text = self._decoded[1]
        if text.endswith(REPLACEMENT) and not final:
            return  # a character is still being spelled out
        self.text = text
        cut = min((i for i in (text.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self.text = text[:cut]
            self._flush(cut)
            return
        self._flush(len(text) - (0 if final else self._held_back(text)))

    def _held_back(self, text: str) -> int:
        """How many trailing characters could still become a stop string."""
        held = 0
        for stop in self.stops:
            for length in range(min(len(stop) - 1, len(text)), held, -1):
                if text.endswith(stop[:length]):
                    held = length
                    break
        return held

    def _flush(self, upto: int) -> None:
        if upto > self.sent:
            self.emit(self.text[self.sent : upto])
            self.sent = upto


@functools.cache
def _stopping_criterion() -> type:
    """Made once: a class per request costs more than a tiny model's first token."""
    from transformers import StoppingCriteria

    class Stop(StoppingCriteria):
        def __init__(self, stream: TextStream, cancelled: threading.Event) -> None:
            self.stream, self.cancelled = stream, cancelled

        def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **_: Any) -> Any:
            done = self.cancelled.is_set() or self.stream.stopped
            return torch.full(
                (input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device
            )

    return Stop


def stream_generate(
    model: Any,
    tokenizer: Any,
    prompt: str,
    sampling: Sampling,
    cancelled: threading.Event,
    emit: Callable[[str], None],
) -> dict[str, Any]:
    """Generate from `prompt`, calling `emit` with each piece of new text; the summary."""
    from transformers import StoppingCriteriaList

    device = next(model.parameters()).device
    encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    ids = encoded.input_ids
    limit = getattr(model.config, "max_position_embeddings", None) or getattr(
        model.config, "n_positions", None
    )
    if limit:
        room = min(sampling.max_new_tokens, limit - 1)
        sampling = replace(sampling, max_new_tokens=room)
        if ids.shape[1] + room > limit:
            ids = ids[:, -(limit - room) :]  # the end of a long conversation matters most
    if ids.shape[1] == 0:
        start = (
            tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        )
        ids = torch.tensor([[start]])
    stream = TextStream(tokenizer, sampling.stop, emit)
    stop = _stopping_criterion()(stream, cancelled)
    if sampling.seed is not None:
        torch.manual_seed(sampling.seed)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    began = time.monotonic()
    with torch.inference_mode():
        output = model.generate(
            input_ids=ids.to(device),
            attention_mask=torch.ones_like(ids).to(device),
            streamer=stream,
            stopping_criteria=StoppingCriteriaList([stop]),
            pad_token_id=pad,
            **sampling.generate_kwargs(),
        )
    seconds = time.monotonic() - began
    new_tokens = int(output.shape[1] - ids.shape[1])
    eos = tokenizer.eos_token_id
    if cancelled.is_set():
        finish = "cancelled"
    elif stream.stopped:
        finish = "stop"
    elif eos is not None and new_tokens and int(output[0, -1]) == eos:
        finish = "eos"
    else:
        finish = "length"
    first = stream.first_token_at
    return {
        "text": stream.text,
        "prompt": prompt,
        "prompt_tokens": int(ids.shape[1]),
        "tokens": new_tokens,
        "seconds": round(seconds, 4),
        "first_token_seconds": None if first is None else round(first - began, 4),
        "tokens_per_second": round(new_tokens / seconds, 2) if seconds > 0 else None,
        "finish": finish,
    }

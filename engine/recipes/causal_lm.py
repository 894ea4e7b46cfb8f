"""Causal-LM supervised fine-tuning.

A `text` column trains on every token; `prompt` + `response` columns (or an
OpenAI-style `messages` column) train on the response tokens only, formatted
with the model's chat template when it has one, else a plain template.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import torch

from engine.data import require_columns, spec_columns_of
from engine.errors import DataError
from engine.examples import FromTable
from engine.models import load_causal_lm
from engine.prompts import render_history, render_prompt
from engine.recipes.base import SAMPLED_ROWS, Batch, Recipe, pad_right

IGNORE = -100


class CausalLMRecipe(Recipe):
    lora_task_type = "CAUSAL_LM"  # adapter_config says so: AutoPeftModelForCausalLM loads it

    def setup(self) -> None:
        table = self.read_table()
        require_columns(table, spec_columns_of(self.spec), self.spec.dataset.path)
        self.loading_model(False)
        self.model, self.tokenizer = load_causal_lm(self.spec)
        self.loading_model(True)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        source = FromTable(table)
        self.tokenise(source)
        self.split(source, table)

    def encode(self, example: dict[str, Any], strict: bool) -> dict[str, Any]:
        """Token ids and labels; prompt tokens get IGNORE so only the response is learned."""
        row, index = example["row"], example["index"]
        data, tok = self.spec.dataset, self.tokenizer
        limit = self.spec.hyperparameters.max_seq_length
        if data.messages_column:
            prompt, response = self._from_messages(row[data.messages_column], index)
        elif data.prompt_column and data.response_column:
            prompt, response = str(row[data.prompt_column]), str(row[data.response_column])
            prompt = render_prompt(tok, prompt)
        else:
            prompt, response = "", str(row[data.text_column])
        prompt_ids = tok(prompt, add_special_tokens=False).input_ids if prompt else []
        response_ids = [*tok(response, add_special_tokens=False).input_ids, tok.eos_token_id]
        ids = (prompt_ids + response_ids)[:limit]
        labels = ([IGNORE] * len(prompt_ids) + response_ids)[:limit]
        if strict and all(label == IGNORE for label in labels):
            raise DataError(
                f"{data.path}, row {index + 1}: the prompt fills max_seq_length "
                f"({limit} tokens) and leaves no response to learn"
            )
        # Tensors now, once, so collating a batch is a few C calls rather than a Python loop.
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}

    def _from_messages(self, messages: Any, index: int) -> tuple[str, str]:
        where = f"{self.spec.dataset.path}, row {index + 1}"
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) and "role" in m and "content" in m for m in messages)
        ):
            raise DataError(f"{where}: messages must be a list of {{role, content}} objects")
        if messages[-1]["role"] != "assistant":
            raise DataError(f"{where}: the last message must be the assistant's")
        history, answer = messages[:-1], str(messages[-1]["content"])
        prompt = render_history(self.tokenizer, history)
        return prompt, answer

    def lora_targets(self) -> list[str]:
        from engine.models import default_lora_targets

        return default_lora_targets(self.model)

    def collate(self, rows: list[dict[str, Any]], *, train: bool) -> Batch:
        rows = self.encoded(rows)
        ids, mask = pad_right([r["input_ids"] for r in rows], self.tokenizer.pad_token_id)
        labels, _ = pad_right([r["labels"] for r in rows], IGNORE)
        tokens = sum(len(r["input_ids"]) for r in rows)
        # The tokens the shifted loss averages over (as evaluate counts them).
        terms = int((labels[:, 1:] != IGNORE).sum())
        return Batch(
            {"input_ids": ids, "attention_mask": mask, "labels": labels}, len(rows), tokens, terms
        )

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module, batches: Iterable[Batch]) -> dict[str, float]:
        total, count = 0.0, 0
        for batch in batches:
            n = batch.loss_terms
            if not n:
                continue
            total += float(self.loss(model, batch)) * n
            count += n
        loss = total / max(count, 1)
        return {"eval_loss": loss, "perplexity": math.exp(min(loss, 50.0))}

    def baseline(self) -> dict[str, Any]:
        """A unigram model: each trained-on token predicted by its frequency in the training
        responses (add-one smoothed over the vocabulary), whatever came before it."""
        if not self.val_rows:
            return {}
        counts: Counter[int] = Counter()
        for row in self.encoded(self.train_rows[:SAMPLED_ROWS]):
            counts.update(_learned(row["labels"]))
        total, vocabulary = sum(counts.values()), len(self.tokenizer)
        val_rows = self.encoded(self.val_rows[:SAMPLED_ROWS])
        tokens = [token for row in val_rows for token in _learned(row["labels"])]
        if not tokens:
            return {}
        loss = -sum(math.log((counts[t] + 1) / (total + vocabulary)) for t in tokens)
        loss /= len(tokens)
        return {
            "name": "token frequencies",
            "rows": len(val_rows),
            "eval_loss": loss,
            "perplexity": math.exp(loss),
        }

    def describe(self, rows: list[dict[str, Any]], batch: Batch) -> list[dict[str, Any]]:
        decoded = []
        for row in self.encoded(rows):
            ids, labels = row["input_ids"], row["labels"]
            decoded.append(
                {
                    "text": self.tokenizer.decode(ids.tolist(), skip_special_tokens=False),
                    "trained_on": self.tokenizer.decode(
                        ids[labels != IGNORE].tolist(), skip_special_tokens=False
                    ),
                    "tokens": len(ids),
                }
            )
        return decoded


def _learned(labels: torch.Tensor) -> list[int]:
    """The tokens the shifted loss predicts (evaluate counts the same ones)."""
    shifted = labels[1:]
    return shifted[shifted != IGNORE].tolist()

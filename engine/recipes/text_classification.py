"""Single-label text classification: labels from a column, strings or integers."""

from __future__ import annotations

from typing import Any

import torch

from engine.data import require_columns
from engine.errors import DataError
from engine.models import default_lora_targets, load_sequence_classifier
from engine.recipes.base import Batch, Recipe
from engine.recipes.causal_lm import pad_right
from engine.recipes.metrics import accuracy_and_macro_f1


def label_set(
    rows: list[dict[str, Any]], column: str, declared: list[str] | None, source: str
) -> tuple[list[str], list[int]]:
    """The label names and each row's label id; a row outside a declared set is an error."""
    values = [str(row[column]) for row in rows]
    labels = list(declared) if declared else sorted(set(values), key=_natural)
    index = {label: i for i, label in enumerate(labels)}
    for number, value in enumerate(values, start=1):
        if value not in index:
            raise DataError(
                f"{source}, row {number}: label {value!r} is not in the label set "
                f"({', '.join(labels)})"
            )
    if len(labels) < 2:
        raise DataError(
            f"{source}: column {column!r} has a single label ({labels[0]!r}); "
            "classification needs at least two"
        )
    return labels, [index[v] for v in values]


def _natural(value: str) -> tuple[int, Any]:
    return (0, int(value)) if value.lstrip("-").isdigit() else (1, value)


class TextClassificationRecipe(Recipe):
    lora_task_type = "SEQ_CLS"

    def setup(self) -> None:
        data = self.spec.dataset
        rows = self.read_rows()
        require_columns(
            rows,
            {"dataset.text_column": data.text_column, "dataset.label_column": data.label_column},
            data.path,
        )
        self.labels, ids = label_set(rows, data.label_column, data.labels, data.path)
        self.model, self.tokenizer = load_sequence_classifier(self.spec, self.labels)
        limit = self.spec.hyperparameters.max_seq_length
        examples = []
        for row, label in zip(rows, ids, strict=True):
            encoded = self.tokenizer(str(row[data.text_column]), truncation=True, max_length=limit)
            examples.append({"input_ids": torch.tensor(encoded.input_ids), "label": label})
        self.split(examples)

    def lora_targets(self) -> list[str]:
        return default_lora_targets(self.model)

    def collate(self, rows: list[dict[str, Any]], *, train: bool) -> Batch:
        ids, mask = pad_right([r["input_ids"] for r in rows], self.tokenizer.pad_token_id)
        labels = torch.tensor([r["label"] for r in rows], dtype=torch.long)
        return Batch(
            {"input_ids": ids, "attention_mask": mask, "labels": labels},
            len(rows),
            sum(len(r["input_ids"]) for r in rows),
        )

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module, batches: list[Batch]) -> dict[str, float]:
        total, count, predictions, targets = 0.0, 0, [], []
        for batch in batches:
            output = model(**batch.tensors)
            total += float(output.loss) * batch.samples
            count += batch.samples
            predictions += output.logits.argmax(-1).tolist()
            targets += batch.tensors["labels"].tolist()
        return {
            "eval_loss": total / max(count, 1),
            **accuracy_and_macro_f1(predictions, targets, len(self.labels)),
        }

    def describe(self, rows: list[dict[str, Any]], batch: Batch) -> list[dict[str, Any]]:
        return [
            {
                "text": self.tokenizer.decode(r["input_ids"].tolist(), skip_special_tokens=True),
                "label": self.labels[r["label"]],
                "tokens": len(r["input_ids"]),
            }
            for r in rows
        ]

"""Single-label text classification: labels from a column, strings or integers."""

from __future__ import annotations

from typing import Any

import torch

from engine.data import require_columns, spec_columns_of
from engine.examples import FromTable
from engine.models import default_lora_targets, load_sequence_classifier
from engine.recipes.base import Batch, pad_right
from engine.recipes.classification import ClassificationRecipe, label_set


class TextClassificationRecipe(ClassificationRecipe):
    lora_task_type = "SEQ_CLS"

    def setup(self) -> None:
        data = self.spec.dataset
        table = self.read_table()
        require_columns(table, spec_columns_of(self.spec), data.path)
        labels = table.column(data.label_column)
        self.labels, ids = label_set(labels, data.label_column, data.labels, data.path)
        del labels
        self.loading_model(False)
        self.model, self.tokenizer = load_sequence_classifier(self.spec, self.labels)
        self.loading_model(True)
        source = FromTable(table, ids)
        self.tokenise(source)
        self.split(source, table)

    def encode(self, example: dict[str, Any], strict: bool) -> dict[str, Any]:
        limit = self.spec.hyperparameters.max_seq_length
        text = str(example["row"][self.spec.dataset.text_column])
        encoded = self.tokenizer(text, truncation=True, max_length=limit)
        return {"input_ids": torch.tensor(encoded.input_ids)}

    def lora_targets(self) -> list[str]:
        return default_lora_targets(self.model)

    def collate(self, rows: list[dict[str, Any]], *, train: bool) -> Batch:
        rows = self.encoded(rows)
        ids, mask = pad_right([r["input_ids"] for r in rows], self.tokenizer.pad_token_id)
        labels = torch.tensor([r["label"] for r in rows], dtype=torch.long)
        return Batch(
            {"input_ids": ids, "attention_mask": mask, "labels": labels},
            len(rows),
            sum(len(r["input_ids"]) for r in rows),
        )

    def describe(self, rows: list[dict[str, Any]], batch: Batch) -> list[dict[str, Any]]:
        return [
            {
                "text": self.tokenizer.decode(r["input_ids"].tolist(), skip_special_tokens=True),
                "label": self.labels[r["label"]],
                "tokens": len(r["input_ids"]),
            }
            for r in self.encoded(rows)
        ]

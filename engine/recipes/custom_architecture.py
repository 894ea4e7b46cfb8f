"""A builder network trained as a classifier on tabular features, images or text (a
`tokens` input: words counted from the training rows, engine/token_vocabulary.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from engine.architecture import ArchitectureClassifier, input_shape
from engine.data import require_columns, spec_columns_of
from engine.data_table import RowTable
from engine.errors import DataError
from engine.examples import Listed
from engine.images import augment, image_rows, open_rgb
from engine.recipes.base import Batch
from engine.recipes.classification import ClassificationRecipe, label_set
from engine.setup_progress import counted
from engine.token_vocabulary import Encoder, build_vocabulary


class CustomArchitectureRecipe(ClassificationRecipe):
    def setup(self) -> None:
        definition = self.spec.model.definition or {}
        self.shape = input_shape(definition)
        self.kind = definition["input"]["kind"]
        self.decodes_images = self.kind == "image"
        data = self.spec.dataset
        if self.kind == "image":
            rows = image_rows(
                data.path, data.image_column, data.label_column, data.split_column, self.report
            )
            table = RowTable(rows=rows)
            self.labels, ids = label_set(table.column("label"), "label", data.labels, data.path)
            examples = [
                {"path": r["path"], "label": int(i)} for r, i in zip(rows, ids, strict=True)
            ]
        else:
            table = self.read_table()
            require_columns(table, spec_columns_of(self.spec), data.path)
            labels = table.column(data.label_column)
            self.labels, ids = label_set(labels, data.label_column, data.labels, data.path)
            in_order = (row for chunk in table.chunks() for row in chunk)
            if self.kind == "tokens":
                column = data.text_column or "text"
                examples = [
                    {"text": str(row[column]), "label": int(i)}
                    for row, i in zip(in_order, ids, strict=True)
                ]
            else:
                examples = _features(in_order, ids, definition["input"]["features"], data.path)
        self.split(Listed(examples), table)
        vocabulary = None
        if self.kind == "tokens":
            # Counted on the training rows only: a validation word stays unknown, as a
            # word of new text will.
            size, length = definition["input"]["vocab_size"], definition["input"]["length"]
            vocabulary = build_vocabulary((r["text"] for r in self.train_rows), size)
            encoder = Encoder(vocabulary, length)
            examples = [*self.train_rows, *self.val_rows]
            for example in counted(self.report, "tokenising", examples):
                example["input_ids"] = encoder.encode(example["text"])
        torch.manual_seed(self.spec.hyperparameters.seed)
        self.model = ArchitectureClassifier(definition, self.labels, vocabulary)
        if self.kind == "tabular":
            matrix = torch.tensor([r["features"] for r in self.train_rows])
            self.model.set_standardisation(matrix.mean(0), matrix.std(0, unbiased=False))

    def collate(self, rows: list[dict[str, Any]], *, train: bool) -> Batch:
        labels = torch.tensor([r["label"] for r in rows], dtype=torch.long)
        if self.kind == "tabular":
            inputs = torch.tensor([r["features"] for r in rows], dtype=torch.float32)
        elif self.kind == "tokens":
            inputs = torch.tensor([r["input_ids"] for r in rows], dtype=torch.long)
        else:
            _, height, width = self.shape
            images = [open_rgb(r["path"]) for r in rows]
            if train and self.spec.dataset.augment:
                images = [augment(image, self.augment_rng) for image in images]
            inputs = torch.stack(
                [_to_tensor(image.resize((width, height)), self.shape[0]) for image in images]
            )
        return Batch({"inputs": inputs, "labels": labels}, len(rows), 0)

    def describe(self, rows: list[dict[str, Any]], batch: Batch) -> list[dict[str, Any]]:
        if self.kind == "tabular":
            return [{"features": r["features"], "label": self.labels[r["label"]]} for r in rows]
        if self.kind == "tokens":
            return [{"text": r["text"], "label": self.labels[r["label"]]} for r in rows]
        return [{"image": str(Path(r["path"])), "label": self.labels[r["label"]]} for r in rows]


def _features(
    rows: Iterable[dict[str, Any]], ids: Iterable[int], features: list[str], source: str
) -> list[dict[str, Any]]:
    examples = []
    for number, (row, label) in enumerate(zip(rows, ids, strict=True), start=1):
        try:
            values = [float(row[f]) for f in features]
        except (TypeError, ValueError) as error:
            raise DataError(
                f"{source}, row {number}: a feature is not a number ({error})"
            ) from error
        examples.append({"features": values, "label": int(label)})
    return examples


def _to_tensor(image: Any, channels: int) -> torch.Tensor:
    if channels == 1:
        image = image.convert("L")
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    height, width = image.size[1], image.size[0]
    return data.view(height, width, channels).permute(2, 0, 1).float() / 255.0

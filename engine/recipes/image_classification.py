"""Image classification: resizing and normalisation from the model's image processor,
with switchable augmentation (random resized crop, horizontal flip) on the training split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.data_table import RowTable
from engine.examples import Listed
from engine.images import augment, image_rows, open_rgb
from engine.models import default_lora_targets, load_image_classifier
from engine.recipes.base import Batch
from engine.recipes.classification import ClassificationRecipe, label_set


class ImageClassificationRecipe(ClassificationRecipe):
    decodes_images = True  # batches are worth DataLoader workers (engine/loader.py)
    lora_modules_to_save = ["classifier"]  # noqa: RUF012 - read by the trainer

    def setup(self) -> None:
        data = self.spec.dataset
        rows = image_rows(
            data.path, data.image_column, data.label_column, data.split_column, self.report
        )
        self.labels, ids = label_set((r["label"] for r in rows), "label", data.labels, data.path)
        self.loading_model(False)
        self.model, self.processor = load_image_classifier(self.spec, self.labels)
        self.loading_model(True)
        examples = [{"path": r["path"], "label": int(i)} for r, i in zip(rows, ids, strict=True)]
        self.split(Listed(examples), RowTable(rows=rows))

    def lora_targets(self) -> list[str]:
        return default_lora_targets(self.model)

    def collate(self, rows: list[dict[str, Any]], *, train: bool) -> Batch:
        images = [open_rgb(r["path"]) for r in rows]
        if train and self.spec.dataset.augment:
            images = [augment(image, self.augment_rng) for image in images]
        pixels = self.processor(images=images, return_tensors="pt")["pixel_values"]
        labels = torch.tensor([r["label"] for r in rows], dtype=torch.long)
        return Batch({"pixel_values": pixels, "labels": labels}, len(rows), 0)

    def describe(self, rows: list[dict[str, Any]], batch: Batch) -> list[dict[str, Any]]:
        shape = list(batch.tensors["pixel_values"].shape[1:])
        return [
            {"image": str(Path(r["path"])), "label": self.labels[r["label"]], "pixel_shape": shape}
            for r in rows
        ]

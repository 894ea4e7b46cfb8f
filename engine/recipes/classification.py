"""What the three classification recipes share: the label set and the evaluation."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from engine.errors import DataError
from engine.recipes.base import Batch, Recipe
from engine.recipes.metrics import accuracy_and_macro_f1


def label_set(
    column_values: Iterable[Any], column: str, declared: list[str] | None, source: str
) -> tuple[list[str], np.ndarray]:
    """The label names and each row's label id; a row outside a declared set is an error."""
    values = [str(value) for value in column_values]
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
    return labels, np.array([index[v] for v in values], dtype=np.int64)


def _natural(value: str) -> tuple[int, Any]:
    return (0, int(value)) if value.lstrip("-").isdigit() else (1, value)


class ClassificationRecipe(Recipe):
    """Single-label classifiers: `labels` names the classes, batches carry `labels` ids."""

    labels: list[str]

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module, batches: Iterable[Batch]) -> dict[str, float]:
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

    def baseline(self) -> dict[str, Any]:
        """Always predicting the commonest training label; its loss is that of predicting
        the training label frequencies (add-one smoothed), which no input informs."""
        targets = self.val_rows.labels().tolist()
        if not targets:
            return {}
        counts = Counter(self.train_rows.labels().tolist())
        majority = counts.most_common(1)[0][0]
        total, classes = sum(counts.values()), len(self.labels)
        loss = -sum(math.log((counts[t] + 1) / (total + classes)) for t in targets)
        return {
            "name": "majority class",
            "rows": len(targets),
            "eval_loss": loss / len(targets),
            **accuracy_and_macro_f1([majority] * len(targets), targets, classes),
        }

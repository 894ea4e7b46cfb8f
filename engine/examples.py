"""A split's examples (train or validation), made from the dataset when a batch asks.

The split holds only the dataset positions of its rows (a numpy array: 8 bytes a row);
an example is built from its row when a batch, an evaluation or the sample event needs
it. A million rows are then a million int64s plus the data's Arrow columns, not a
million dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import torch

from engine.data_table import CHUNK, RowTable

Example = dict[str, Any]
Make = Callable[[list[int]], list[Example]]
"""Dataset positions → their examples, in that order."""


class Examples(Sequence[Example]):
    def __init__(self, make: Make, positions: np.ndarray) -> None:
        self.make, self.positions = make, positions

    @classmethod
    def of(cls, examples: list[Example]) -> Examples:
        """Examples already made (images, a builder network's features): kept as they are."""
        return cls(Listed(examples), np.arange(len(examples), dtype=np.int64))

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, key: int) -> Example: ...
    @overload
    def __getitem__(self, key: slice) -> Examples: ...
    def __getitem__(self, key: int | slice) -> Example | Examples:
        if isinstance(key, slice):
            return Examples(self.make, self.positions[key])
        return self.make([int(self.positions[key])])[0]

    def take(self, indices: Sequence[int]) -> list[Example]:
        """The examples at these places in the split (a batch)."""
        return self.make(self.positions[list(indices)].tolist())

    def labels(self) -> np.ndarray:
        """Each example's "label" id, without making the examples where the table has them."""
        if isinstance(self.make, FromTable) and self.make.labels is not None:
            return self.make.labels[self.positions]
        return np.array([example["label"] for example in self], dtype=np.int64)

    def __iter__(self) -> Iterator[Example]:
        for start in range(0, len(self), CHUNK):
            yield from self.make(self.positions[start : start + CHUNK].tolist())


class Listed:
    """Make for examples held in a list (picklable, unlike a closure: spawned workers)."""

    def __init__(self, examples: list[Example]) -> None:
        self.examples = examples

    def __call__(self, positions: list[int]) -> list[Example]:
        return [self.examples[i] for i in positions]


class FromTable:
    """Make for a table's rows: {"index", "row"}, the row's "label" id when the recipe has
    labels, and the token fields tokenised during setup (kept in `encoded`)."""

    def __init__(self, table: RowTable, labels: np.ndarray | None = None) -> None:
        self.table, self.labels = table, labels
        self.encoded: dict[int, dict[str, Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Token tensors as numpy for a spawned worker: torch would send each tensor
        through shared memory, one file descriptor apiece (50,000 rows: too many)."""
        encoded = {
            i: {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in fields.items()}
            for i, fields in self.encoded.items()
        }
        return {**vars(self), "encoded": encoded}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self.encoded = {
            i: {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in f.items()}
            for i, f in self.encoded.items()
        }

    def __call__(self, positions: list[int]) -> list[Example]:
        rows = self.table.take(positions)
        examples = []
        for index, row in zip(positions, rows, strict=True):
            example: Example = {"index": index, "row": row}
            if self.labels is not None:
                example["label"] = int(self.labels[index])
            example.update(self.encoded.get(index, ()))
            examples.append(example)
        return examples

"""The order samples are seen in: a seeded permutation per epoch and a position in it.

The position is counted in samples, not batches, so it survives a change of
micro-batch size (the OOM fallback) and restores exactly from a checkpoint.
"""

from __future__ import annotations

from typing import Any

import torch


class DataStream:
    def __init__(self, size: int, seed: int) -> None:
        if size < 1:
            raise ValueError("no training rows")
        self.size, self.seed = size, seed
        self.epoch, self.position = 0, 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> torch.Tensor:
        """A tensor, not a list: 8 bytes a row rather than a Python int's 36 (a million rows
        cost 8 MB); a batch's indices become a list only when it is taken."""
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.size, generator=generator)

    def take(self, count: int) -> list[int]:
        """The next `count` indices; the last batch of an epoch may be shorter."""
        if self.position >= self.size:
            self.epoch += 1
            self.position = 0
            self._order = self._permutation(self.epoch)
        indices = self._order[self.position : self.position + count].tolist()
        self.position += len(indices)
        return indices

    def peek(self, count: int) -> list[int]:
        snapshot = self.state()
        indices = self.take(count)
        self.load(snapshot)
        return indices

    @property
    def epoch_progress(self) -> float:
        return self.epoch + self.position / self.size

    def state(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "position": self.position,
            "size": self.size,
            "seed": self.seed,
        }

    def load(self, state: dict[str, Any]) -> None:
        if state["size"] != self.size:
            raise ValueError(
                f"the checkpoint was taken on {state['size']} training rows, "
                f"the dataset now has {self.size}"
            )
        self.epoch, self.position = state["epoch"], state["position"]
        self._order = self._permutation(self.epoch)

"""Checkpoints of a run: saving one, and resuming exactly from one (or the newest intact).

What a person can cause at resume (another spec's checkpoint, a dataset changed since)
is a config or data failure with one line, never an internal error. Mixed into the
Trainer, whose state (model, optimizer, stream, events) it saves and restores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine import checkpoint
from engine.errors import ConfigError, DataError


class Checkpointing:
    step: int
    checkpoints: Path
    events: Any
    spec: Any
    hp: Any
    model: Any
    optimizer: Any
    scheduler: Any
    scaler: Any
    stream: Any
    micro_batch: int
    accumulation: int
    total_steps: int
    window_loss: torch.Tensor
    window_steps: int
    device: torch.device

    def save_checkpoint(self) -> Path:
        path = checkpoint.save(
            self.checkpoints,
            self.step,
            weights=checkpoint.trainable_state(
                self.model, only_trainable=self.spec.method == "lora"
            ),
            state={
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "rng": checkpoint.rng_state(),
            },
            progress={
                "step": self.step,
                "data": self.stream.state(),
                "micro_batch": self.micro_batch,
                "accumulation": self.accumulation,
                "total_steps": self.total_steps,
                "hyperparameters": self.spec.to_dict()["hyperparameters"],
                # The steps since the last logged loss: a resume logs the same mean.
                "log_window": {"loss": float(self.window_loss), "steps": self.window_steps},
            },
            keep=self.hp.keep_checkpoints,
        )
        self.events.emit("checkpoint", step=self.step, path=str(path))
        return path

    def resume(self) -> int:
        checkpoint.remove_partial(self.checkpoints)
        wanted = self.spec.resume_from
        if not wanted:
            return 0
        if wanted == "latest":
            path = self._newest_intact()
        else:
            path = Path(wanted)
            try:
                checkpoint.verify(path)
            except checkpoint.DamagedCheckpointError as error:
                raise ConfigError(f"resume_from: {path}: {error}") from None
        if path is None:
            self.events.emit("log", level="info", message="No checkpoint yet: starting fresh.")
            return 0
        weights, state, progress = checkpoint.load(path)
        # What a person can cause (another spec's checkpoint, a dataset changed since) is
        # a config or data failure with one line, not an internal error with a traceback.
        try:
            _missing, unexpected = self.model.load_state_dict(
                {k: v for k, v in weights.items()}, strict=self.spec.method != "lora"
            )
        except RuntimeError as error:
            first = str(error).strip().splitlines()[1:2] or [str(error)]
            raise ConfigError(
                f"resume_from: {path} was saved by another model or method, not this "
                f"spec's ({first[0].strip()})"
            ) from None
        if unexpected:
            raise ConfigError(
                f"resume_from: {path} does not match this model (unexpected {unexpected[0]})"
            )
        try:
            self.optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError) as error:
            raise ConfigError(
                f"resume_from: {path} holds another optimizer's state ({error})"
            ) from None
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        try:
            self.stream.load(progress["data"])
        except ValueError as error:
            raise DataError(f"resume_from: {path}: {error}; resume needs the same data") from None
        self.micro_batch, self.accumulation = progress["micro_batch"], progress["accumulation"]
        window = progress.get("log_window", {"loss": 0.0, "steps": 0})
        self.window_loss = torch.tensor(window["loss"], device=self.device)
        self.window_steps = int(window["steps"])
        changed = [
            k
            for k, v in progress["hyperparameters"].items()
            if self.spec.to_dict()["hyperparameters"].get(k) != v
        ]
        if changed:
            self.events.emit(
                "log",
                level="warning",
                message=(
                    f"Resuming with hyperparameters that differ from the checkpoint: "
                    f"{', '.join(changed)}."
                ),
            )
        checkpoint.set_rng_state(state["rng"])  # last: set-up above must not consume it
        self.step = progress["step"]
        return self.step

    def _newest_intact(self) -> Path | None:
        path, damaged = checkpoint.newest_intact(self.checkpoints)
        for bad, reason in damaged:
            instead = f"resuming from {path.name} instead" if path else "no older one is intact"
            self.events.emit(
                "log",
                level="warning",
                message=f"{bad.name} is damaged ({reason}): {instead}.",
            )
        if path is None and damaged:
            raise ConfigError(
                f"resume_from: no intact checkpoint in {self.checkpoints} "
                f"({damaged[0][0].name}: {damaged[0][1]})"
            )
        return path

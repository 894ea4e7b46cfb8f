"""The training loop: one loop for every recipe.

setup → (resume) → for each optimizer step: control check, micro-steps with
accumulation, clip, step, schedule, log, evaluate, checkpoint → save output.
Losses stay on the device and are read (a host sync) only when an event is due.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from engine.errors import ConfigError, OutOfMemory
from engine.loader import BatchLoader, default_workers
from engine.output_card import facts_of, write_card
from engine.protocol import (
    CHECKPOINTS_DIR,
    EXIT_COMPLETED,
    EXIT_STOPPED,
    PAUSE_AT_ENV,
    ControlReader,
    EventWriter,
)
from engine.recipes import create_recipe
from engine.recipes.base import Batch
from engine.resume import Checkpointing
from engine.run_dirs import OUTPUT_MARKER, replaceable
from engine.runtime import (
    autocast,
    is_out_of_memory,
    no_grad_eval,
    resolve_precision,
    seed_everything,
    select_device,
)
from engine.sampler import DataStream
from engine.setup_progress import SetupProgress, StopRequested
from engine.spec import TrainingSpec

log = logging.getLogger("engine")

PAUSE_POLL_SECONDS = 0.2
# Test hook standing in for a GPU running out of memory (no GPU exists in CI):
# any micro-batch larger than this raises torch.OutOfMemoryError.
FAKE_OOM_ENV = "SPARKTRAINER_ENGINE_FAKE_OOM_ABOVE"


def lr_lambda(kind: str, warmup: int, total: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if kind == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        if kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return max(0.0, 1.0 - progress)

    return factor


class Trainer(Checkpointing):
    def __init__(self, spec: TrainingSpec, events: EventWriter, control: ControlReader) -> None:
        self.spec, self.events, self.control = spec, events, control
        self.hp = spec.hyperparameters
        self.run_dir = spec.run_dir
        self.checkpoints = self.run_dir / CHECKPOINTS_DIR
        self.output = Path(spec.output_dir)
        self.step = 0
        self._began = time.monotonic()
        self.window_loss = torch.zeros(())
        """The sum of the losses since the last logged one (and how many): checkpointed."""
        self.window_steps = 0
        self._stop_signal = False
        self._pending: list[str] = []
        """Commands read during setup that are not a stop: applied at the first step."""
        self._fake_oom_above = int(os.environ.get(FAKE_OOM_ENV, "0")) or None
        self._pause_at = int(os.environ.get(PAUSE_AT_ENV, "0")) or None

    # -- set-up ----------------------------------------------------------------------------

    def setup(self) -> None:
        hp = self.hp
        seed_everything(hp.seed)
        self.device = select_device()
        self.precision = resolve_precision(hp.precision, self.device)
        if not self.spec.dataset.path:
            raise ConfigError(
                f"dataset.path: the spec names the store dataset {self.spec.dataset.name!r}, "
                "which `job submit` resolves to a path; the engine needs the path"
            )
        recipe = self.recipe = create_recipe(self.spec)
        recipe.report = SetupProgress(self.events.emit, self._stop_asked_during_setup)
        recipe.setup()
        if not recipe.train_rows:
            raise ConfigError("dataset.validation_split leaves no training rows")
        cap = hp.eval_max_batches and hp.eval_max_batches * hp.batch_size
        if cap and len(recipe.val_rows) > cap:
            self.events.emit(
                "log",
                level="info",
                message=(
                    f"Evaluating on {cap:,} of the {len(recipe.val_rows):,} validation rows "
                    "(hyperparameters.eval_max_batches)."
                ),
            )
            recipe.val_rows = recipe.val_rows[:cap]  # the baseline is judged on the same rows
        self.baseline = recipe.baseline()
        model: Any = recipe.model  # a transformers (or builder) model, PEFT-wrapped for LoRA
        if self.spec.method == "lora":
            model = recipe.with_lora(model)
        if hp.gradient_checkpointing:
            # transformers 5 renamed it (the old name warns, and goes in v6).
            enable = getattr(model, "activation_checkpointing_enable", None)
            (enable or model.gradient_checkpointing_enable)()
            if self.spec.method == "lora":
                model.enable_input_require_grads()
        self.model = model.to(self.device)
        self.model.train()

        decay: list[torch.nn.Parameter] = []
        no_decay: list[torch.nn.Parameter] = []
        for name, parameter in self.model.named_parameters():
            if parameter.requires_grad:
                (no_decay if parameter.ndim < 2 or "norm" in name.lower() else decay).append(
                    parameter
                )
        self.parameters = decay + no_decay
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": hp.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=hp.learning_rate,
            fused=self.device.type == "cuda",
        )
        self.micro_batch, self.accumulation = hp.batch_size, hp.gradient_accumulation
        micro_per_epoch = math.ceil(len(recipe.train_rows) / self.micro_batch)
        steps_per_epoch = max(1, math.ceil(micro_per_epoch / self.accumulation))
        self.total_steps = hp.max_steps or hp.epochs * steps_per_epoch
        warmup = int(self.total_steps * hp.warmup_ratio)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda(hp.scheduler, warmup, self.total_steps)
        )
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        self.stream = DataStream(len(recipe.train_rows), hp.seed)
        workers = default_workers(recipe, hp.data_workers)
        self.loader = BatchLoader(recipe, self.stream, workers, pin=self.device.type == "cuda")

    # -- control -----------------------------------------------------------------------------

    def on_sigterm(self, _signum: int, _frame: Any) -> None:
        self._stop_signal = True

    @staticmethod
    def stop_at_once(_signum: int, _frame: Any) -> None:
        """SIGTERM during setup: nothing is worth saving yet, so leave whatever is running
        (a model load, tokenising) at once."""
        raise StopRequested

    def _stop_asked_during_setup(self) -> bool:
        for command in self.control.poll():
            if command == "stop":
                return True
            self._pending.append(command)
        return False

    def check_control(self) -> None:
        """Between steps: apply commands; block while paused; raise StopRequested."""
        paused = False
        if self._pause_at is not None and self.step == self._pause_at:
            self._pause_at = None
            paused = True
            self.events.emit("paused", step=self.step)
        while True:
            commands, self._pending = [*self._pending, *self.control.poll()], []
            for command in commands:
                if command == "stop":
                    raise StopRequested
                if command == "checkpoint":
                    self.save_checkpoint()
                elif command == "pause" and not paused:
                    paused = True
                    self.events.emit("paused", step=self.step)
                elif command == "resume" and paused:
                    paused = False
                    self.events.emit("resumed", step=self.step)
            if self._stop_signal:
                raise StopRequested
            if not paused:
                return
            time.sleep(PAUSE_POLL_SECONDS)

    # -- the loop ----------------------------------------------------------------------------

    def batch(self, indices: list[int], *, train: bool = True) -> Batch:
        """The rows collated on the CPU (moved to the device when their turn comes)."""
        return self.recipe.collate(self.recipe.train_rows.take(indices), train=train)

    def accumulate(self, batches: list[Batch]) -> torch.Tensor:
        """Forward and backward over one step's micro-batches; returns the step's loss.

        Each micro-batch's mean loss counts by its share of the step's loss terms (tokens
        predicted, or samples), so the loss and the gradient are those of the whole batch
        at once whatever the split: gradient accumulation and the OOM fallback no longer
        change what is trained (torchtune's and HF Trainer's normalisation)."""
        total = sum(batch.loss_terms for batch in batches)
        step_loss = torch.zeros((), device=self.device)
        for batch in batches:
            if not batch.loss_terms:  # nothing to learn here (a mean over no terms is NaN)
                continue
            share = batch.loss_terms / total
            with autocast(self.device, self.precision):
                loss = self.recipe.loss(self.model, batch.to(self.device))
            self.scaler.scale(loss * share).backward()
            step_loss += loss.detach() * share
            if self._fake_oom_above and batch.samples > self._fake_oom_above:
                # After a forward and backward, as a real OOM can be: the redo must start
                # from clean gradients.
                raise torch.OutOfMemoryError("CUDA out of memory (simulated by the test hook)")
        return step_loss

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor | None, int, int]:
        """One optimizer step over `accumulation` micro-batches; nothing here syncs."""
        batches = [self.loader.take(self.micro_batch) for _ in range(self.accumulation)]
        step_loss = self.accumulate(batches)
        samples = sum(batch.samples for batch in batches)
        tokens = sum(batch.tokens for batch in batches)
        grad_norm = None
        if self.hp.max_grad_norm:
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.parameters, self.hp.max_grad_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return step_loss, grad_norm, samples, tokens

    def halve_micro_batch(self, error: BaseException) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if self.micro_batch == 1:
            raise OutOfMemory(
                "Out of GPU memory with a micro-batch of 1. Lower "
                "hyperparameters.max_seq_length, turn on gradient_checkpointing, use LoRA, "
                "or pick a smaller model."
            ) from error
        self.micro_batch = max(1, self.micro_batch // 2)
        self.accumulation *= 2
        self.events.emit(
            "log",
            level="warning",
            message=(
                f"Out of memory: micro-batch halved to {self.micro_batch}, gradient accumulation "
                f"doubled to {self.accumulation}; the effective batch is unchanged."
            ),
        )

    def evaluate(self) -> dict[str, float]:
        rows = self.recipe.val_rows
        # One batch at a time: a large validation split is never all on the device at once.
        batches = (
            self.recipe.collate(list(rows[i : i + self.micro_batch]), train=False).to(self.device)
            for i in range(0, len(rows), self.micro_batch)
        )
        with no_grad_eval(self.model), autocast(self.device, self.precision):
            values = self.recipe.evaluate(self.model, batches)
        self.events.emit("eval", step=self.step, values=values)
        self._last_eval = (self.step, values)
        return values

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop_at_once)
        try:
            self.setup()
            resumed_from = self.resume()
        except StopRequested:
            # Nothing was trained: no checkpoint, no output; the run can start again.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.events.emit("stopped", step=self.step, checkpoint=None)
            return EXIT_STOPPED
        signal.signal(signal.SIGTERM, self.on_sigterm)
        self.events.emit(
            "started",
            job_id=self.spec.job_id,
            pid=os.getpid(),
            device=str(self.device),
            total_steps=self.total_steps,
            resumed_from_step=resumed_from,
            precision=self.precision,
            train_rows=len(self.recipe.train_rows),
            validation_rows=len(self.recipe.val_rows),
            test_rows=self.recipe.test_count,
            split_by=self.recipe.split_by,
            baseline=self.baseline,
        )
        first = self.stream.peek(self.micro_batch)
        first_rows = self.recipe.train_rows.take(first)
        self.events.emit(
            "sample",
            step=self.step,
            split="train",
            rows=self.recipe.describe(first_rows, self.recipe.collate(first_rows, train=False)),
        )

        window_samples = window_tokens = 0
        window_start = time.perf_counter()
        self.window_loss = self.window_loss.to(self.device)
        try:
            while self.step < self.total_steps:
                self.check_control()
                data_state = self.stream.state()
                try:
                    step_loss, grad_norm, samples, tokens = self.train_step()
                except Exception as error:
                    if not is_out_of_memory(error):
                        raise
                    self.stream.load(data_state)  # the step is redone from its first sample
                    self.loader.reset()
                    self.halve_micro_batch(error)
                    continue
                self.step += 1
                self.window_loss += step_loss
                self.window_steps += 1
                window_samples += samples
                window_tokens += tokens
                if self.step % self.hp.log_every == 0 or self.step == self.total_steps:
                    elapsed = max(time.perf_counter() - window_start, 1e-9)
                    loss = float(self.window_loss / self.window_steps)  # host sync, once a log
                    values = {
                        "loss": loss,
                        "learning_rate": self.scheduler.get_last_lr()[0],
                        "samples_per_second": window_samples / elapsed,
                    }
                    if window_tokens:
                        values["tokens_per_second"] = window_tokens / elapsed
                    if grad_norm is not None:
                        values["grad_norm"] = float(grad_norm)
                    if self.spec.recipe == "causal_lm_sft":
                        values["perplexity"] = math.exp(min(loss, 50.0))
                    self.events.emit(
                        "metric",
                        step=self.step,
                        epoch=round(self.stream.epoch_progress, 4),
                        values=values,
                    )
                    self.window_loss = torch.zeros((), device=self.device)
                    self.window_steps = window_samples = window_tokens = 0
                    window_start = time.perf_counter()
                if (
                    self.hp.eval_every
                    and self.step % self.hp.eval_every == 0
                    and self.recipe.val_rows
                ):
                    self.evaluate()
                if self.hp.checkpoint_every and self.step % self.hp.checkpoint_every == 0:
                    self.save_checkpoint()
            self.check_control()  # a stop sent during the last step still stops
        except StopRequested:
            path = self.save_checkpoint()
            self.events.emit("stopped", step=self.step, checkpoint=str(path))
            return EXIT_STOPPED
        finally:
            self.loader.close()
        return self.finish()

    def finish(self) -> int:
        final: dict[str, float] = {}
        if self.recipe.val_rows:
            done_at, values = getattr(self, "_last_eval", (None, {}))
            final = values if done_at == self.step else self.evaluate()
        tmp = self.output.with_name(f".tmp-{self.output.name}-{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        self.recipe.save_output(self.model, tmp)
        (tmp / OUTPUT_MARKER).touch()  # ours: a later run with overwrite_output may replace it
        final = {**final, "steps": self.step}
        (tmp / "metrics.json").write_text(
            json.dumps({**final, "baseline": self.baseline}, indent=2)
        )
        facts = facts_of(
            self.spec,
            self.recipe,
            steps=self.step,
            final=final,
            baseline=self.baseline,
            seconds=time.monotonic() - self._began,
            device=self.device,
        )
        write_card(tmp, facts)
        if self.output.exists():
            if not replaceable(self.output):  # checked at start; someone wrote there since
                raise ConfigError(f"output_dir: {self.output} now holds files that are not ours")
            shutil.rmtree(self.output)
        tmp.rename(self.output)
        self.events.emit(
            "completed",
            step=self.step,
            output_path=str(self.output),
            final=final,
            baseline=self.baseline,
        )
        return EXIT_COMPLETED

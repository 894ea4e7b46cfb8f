"""What the training loop needs from a recipe, and the parts recipes share."""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.data import load_table, split_indices
from engine.data_files import DataFileError, split_values
from engine.data_table import RowTable
from engine.errors import ConfigError, DataError
from engine.examples import Examples, FromTable, Make
from engine.setup_progress import Report, counted, quiet
from engine.spec import TrainingSpec

EAGER_ROWS = 50_000
"""Up to this many rows are tokenised during setup (every row checked before the first
step, nothing to do per step); a larger dataset is tokenised batch by batch as it
trains, so a million rows start in seconds rather than minutes."""
CHECKED_ROWS = 1_000
"""The rows of a lazily tokenised dataset checked during setup: their errors stop the
run before it starts, as a small dataset's would."""
SAMPLED_ROWS = 20_000
"""The most rows a baseline tokenises (of the training and of the validation rows)."""

BASE_FOLDER = "base_model"
"""A preset LoRA's base inside its output, when the spec names no base_models_dir."""


@dataclass
class Batch:
    tensors: dict[str, torch.Tensor]
    samples: int
    tokens: int
    """Non-padding tokens, counted on the CPU at collate time (no device sync)."""
    terms: int | None = None
    """How many terms the recipe's loss is the mean of (the predicted tokens of a causal
    LM; the samples when None), counted on the CPU: an accumulated step weights each
    micro-batch by its share, so how a batch is split never changes what is trained."""

    @property
    def loss_terms(self) -> int:
        return self.samples if self.terms is None else self.terms

    def to(self, device: torch.device) -> Batch:
        moved = {k: v.to(device, non_blocking=True) for k, v in self.tensors.items()}
        return Batch(moved, self.samples, self.tokens, self.terms)

    def pin_memory(self) -> Batch:
        """Page-locked copies (the DataLoader calls it): the copy to a GPU is then async."""
        pinned = {k: v.pin_memory() for k, v in self.tensors.items()}
        return Batch(pinned, self.samples, self.tokens, self.terms)


def pad_right(sequences: list[torch.Tensor], value: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack 1-D tensors, padding on the right; returns the batch and its attention mask."""
    lengths = torch.tensor([len(s) for s in sequences])
    if bool((lengths == lengths[0]).all()):
        batch = torch.stack(sequences)
        return batch, torch.ones_like(batch)
    batch = torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=value)
    mask = (torch.arange(batch.shape[1]) < lengths[:, None]).long()
    return batch, mask


class Recipe:
    """Subclasses fill `model`, `train_rows`, `val_rows` in `setup` and say how to batch."""

    model: torch.nn.Module
    base_state: dict[str, torch.Tensor] | None = None
    """For LoRA on a preset: the random base weights, saved beside the adapter."""
    train_rows: Examples
    val_rows: Examples
    test_count: int = 0
    """Rows a split column keeps for a final evaluation: never trained or evaluated on."""
    split_by: str = "random"
    """"random" (validation_split) or the split column's name."""

    def __init__(self, spec: TrainingSpec) -> None:
        self.spec = spec
        self.report: Report = quiet
        """Setup's progress (phase, done, total): the trainer's SetupProgress in a run."""
        self.augment_rng: random.Random | None = None
        """What a training batch's augmentation draws from: seeded per batch by
        engine/loader.py, so a batch is augmented alike in a worker or inline."""

    # -- set-up ------------------------------------------------------------------------
    def setup(self) -> None:
        raise NotImplementedError

    def split(self, make: Make, table: RowTable) -> None:
        """Train and validation examples: by the data's split column when it has one (the
        same rule as the pre-submit check), else at random by dataset.validation_split.
        `make` makes the example of each of the table's rows."""
        data = self.spec.dataset
        column = data.split_column
        try:
            names = (
                split_values(table.column(column), column, data.path)
                if column and column in table.names
                else None
            )
        except DataFileError as error:
            raise DataError(str(error)) from error
        if names is None:
            train_list, val_list = split_indices(
                len(table), data.validation_split, self.spec.hyperparameters.seed
            )
            train = np.array(train_list, dtype=np.int64)
            val = np.array(val_list, dtype=np.int64)
        else:
            marks = np.array(names)
            train, val = np.flatnonzero(marks == "train"), np.flatnonzero(marks == "validation")
            self.test_count = int((marks == "test").sum())
            self.split_by = str(column)
            if not len(train):
                raise DataError(f"{data.path}: the split column {column!r} marks no row as train")
        self.train_rows, self.val_rows = Examples(make, train), Examples(make, val)

    def read_table(self) -> RowTable:
        self.report("reading the data", 0, 1)
        table = load_table(self.spec.dataset.path)
        self.report("reading the data", 1, 1)
        return table

    def loading_model(self, done: bool) -> None:
        self.report("loading the model", int(done), 1)

    # -- tokenising: up front for a small dataset, per batch for a large one -------------
    encode: Callable[[dict[str, Any], bool], dict[str, Any]]
    """The token fields of an example; strict (setup) raises on a row that cannot train,
    lenient (mid-run) gives it no loss terms instead of failing a long run at a random
    step. Recipes that tokenise define it."""

    def tokenise(self, source: FromTable) -> None:
        """Tokenise every row now, or the first CHECKED_ROWS only when there are more than
        EAGER_ROWS (`encoded` does the rest as batches go); kept in `source.encoded`."""
        count = len(source.table)
        phase, first = "tokenising", count
        if count > EAGER_ROWS:
            phase, first = "checking the first rows", CHECKED_ROWS
        examples = Examples(source, np.arange(first, dtype=np.int64))
        for example in counted(self.report, phase, examples):
            source.encoded[example["index"]] = self.encode(example, True)

    def encoded(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows with their token fields (encoded now where setup left them)."""
        return [row if "input_ids" in row else {**row, **self.encode(row, False)} for row in rows]

    def lora_targets(self) -> list[str]:
        raise ConfigError("method: LoRA is not available for this model")

    def with_lora(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model wrapped in the spec's LoRA adapter (for training, and for loading one
        of its checkpoints)."""
        from peft import LoraConfig, get_peft_model

        lora = self.spec.lora
        if self.spec.model.source == "preset":
            # A preset's random base weights ship with the adapter (see save_output); peft
            # rewrites the modules it wraps, so keep the pristine tensors now. Presets are tiny.
            self.base_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        config = LoraConfig(
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=lora.target_modules or self.lora_targets(),
            task_type=getattr(self, "lora_task_type", None),
            modules_to_save=getattr(self, "lora_modules_to_save", None),
        )
        return get_peft_model(model, config)

    # -- steps -------------------------------------------------------------------------
    def collate(self, rows: list[dict[str, Any]], *, train: bool) -> Batch:
        raise NotImplementedError

    def loss(self, model: torch.nn.Module, batch: Batch) -> torch.Tensor:
        """The mean over the batch's `loss_terms` (what transformers' heads return)."""
        return model(**batch.tensors).loss

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module, batches: Iterable[Batch]) -> dict[str, float]:
        raise NotImplementedError

    def describe(self, rows: list[dict[str, Any]], batch: Batch) -> list[dict[str, Any]]:
        """The first batch as the model sees it, decoded, for the `sample` event."""
        raise NotImplementedError

    def baseline(self) -> dict[str, Any]:
        """What a model that learned nothing from the inputs scores on the validation rows,
        under the same metric names as `evaluate`, with its "name": the bar a trained model
        has to clear. Empty when there are no validation rows."""
        return {}

    # -- output ------------------------------------------------------------------------
    def save_output(self, model: Any, output: Path) -> None:
        """The model (full) or adapter (LoRA) in HF / PEFT format, with its preprocessor.
        `model` is a transformers or PEFT model (their `save_pretrained`)."""
        preprocessor = getattr(self, "tokenizer", None) or getattr(self, "processor", None)
        base_state = getattr(self, "base_state", None)
        if self.spec.method == "lora" and base_state is not None:
            # The adapter's base is a random-weight preset that exists nowhere else: keep it,
            # and name it in adapter_config.json so AutoPeftModel….from_pretrained(output)
            # loads on its own.
            base = self._keep_base(model.get_base_model(), base_state, preprocessor, output)
            for config in model.peft_config.values():
                config.base_model_name_or_path = str(base)
        model.save_pretrained(output, safe_serialization=True)
        if preprocessor is not None:
            preprocessor.save_pretrained(output)
        # engine/output_card.py writes sparktrainer.json and the card once the run's
        # metrics are known.

    def _keep_base(self, base: Any, state: dict[str, Any], preprocessor: Any, output: Path) -> Path:
        """Save a preset base once per distinct set of weights; where it will be found once
        the output folder (being written at `output`) is in place."""

        def write(folder: Path) -> None:
            base.save_pretrained(folder, state_dict=state, safe_serialization=True)
            if preprocessor is not None:
                preprocessor.save_pretrained(folder)

        if not self.spec.base_models_dir:
            write(output / BASE_FOLDER)
            return Path(self.spec.output_dir).resolve() / BASE_FOLDER
        store = Path(self.spec.base_models_dir).resolve()
        store.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-base-", dir=store))
        write(staging)
        digest = hashlib.sha256()
        for name in ("config.json", "model.safetensors"):
            with (staging / name).open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        kept = store / f"{self.spec.model.name}-{digest.hexdigest()[:16]}"
        try:
            staging.rename(kept)
        except OSError:  # kept already: another adapter on the same base (or a race) made it
            shutil.rmtree(staging)
        return kept

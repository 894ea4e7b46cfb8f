"""The training spec: a typed dataclass tree, validated with errors that name the field.

Standard library only: the GUI imports this to build and check specs.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from engine.recommended import with_recommended

RECIPES = ("causal_lm_sft", "text_classification", "image_classification", "custom_architecture")
METHODS = ("full", "lora")
SCHEDULERS = ("linear", "cosine", "constant")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
MODEL_SOURCES = ("preset", "local", "hub", "architecture")
PRESET_KINDS = {
    "tiny-gpt2": "causal_lm",
    "tiny-bert": "sequence_classification",
    "tiny-vit": "image_classification",
}
"""Models that need no download (engine/presets.py builds them), by what they are."""
PLAIN_TEMPLATE = "### Prompt:\n{prompt}\n\n### Response:\n"
"""Causal-LM SFT prompt for a tokenizer without a chat template (the wizard shows it too)."""


class SpecError(ValueError):
    """An invalid spec; `field` is the dotted path of the offending field."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}" if field_path else message)
        self.field = field_path
        self.message = message


@dataclass
class ModelSpec:
    source: str = "preset"
    """preset | local | hub | architecture."""
    name: str | None = None
    """Preset name (tiny-gpt2, tiny-bert, tiny-vit, tiny-cnn)."""
    path: str | None = None
    """A Hugging Face model folder (config.json + safetensors + tokenizer files)."""
    repo_id: str | None = None
    """A hub id, used only when online; the token comes from HF_TOKEN."""
    definition: dict[str, Any] | None = None
    """The builder's network definition, for source "architecture"."""

    def validate(self, at: str) -> None:
        if self.source not in MODEL_SOURCES:
            raise SpecError(f"{at}.source", f"must be one of {', '.join(MODEL_SOURCES)}")
        required = {
            "preset": "name",
            "local": "path",
            "hub": "repo_id",
            "architecture": "definition",
        }[self.source]
        if not getattr(self, required):
            raise SpecError(f"{at}.{required}", f"is required when source is {self.source!r}")


@dataclass
class DatasetSpec:
    path: str = ""
    """A data file (Parquet, CSV, TSV, JSON, JSONL), a folder of Parquet files, or an
    image folder with one sub-folder per class."""
    name: str | None = None
    """A dataset in SparkTrainer's store, instead of a path: `job submit` sets `path` to the
    version's data file (and keeps the name and version for lineage)."""
    version: int | None = None
    """The store version of `name`; null: its current version."""
    text_column: str = "text"
    label_column: str = "label"
    prompt_column: str | None = None
    response_column: str | None = None
    messages_column: str | None = None
    image_column: str = "image"
    labels: list[str] | None = None
    """The label set; rows with another label are a data error. Default: labels seen."""
    validation_split: float = 0.1
    """The fraction held out at random, when the data has no split column."""
    split_column: str | None = "split"
    """A column of train / validation / test (the Datasets pane's Split writes one): when
    the data has it, it decides the split, and test rows are never read for training or
    evaluation. null ignores such a column."""
    augment: bool = True
    """Image recipes: random resized crop and horizontal flip on the training split."""

    def validate(self, at: str) -> None:
        if not self.path and not self.name:
            raise SpecError(f"{at}.path", "is required (or a store dataset's name)")
        if not 0.0 <= self.validation_split < 1.0:
            raise SpecError(f"{at}.validation_split", "must be at least 0 and below 1")
        if bool(self.prompt_column) != bool(self.response_column):
            raise SpecError(
                f"{at}.response_column" if self.prompt_column else f"{at}.prompt_column",
                "prompt_column and response_column go together",
            )


@dataclass
class LoraSpec:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] | None = None
    """None picks the attention projections of the architecture."""

    def validate(self, at: str) -> None:
        if self.r < 1:
            raise SpecError(f"{at}.r", "must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise SpecError(f"{at}.dropout", "must be at least 0 and below 1")


@dataclass
class Hyperparameters:
    epochs: int = 1
    max_steps: int | None = None
    """Optimizer steps; overrides epochs when set."""
    batch_size: int = 8
    """The micro-batch; the effective batch is batch_size × gradient_accumulation."""
    gradient_accumulation: int = 1
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    warmup_ratio: float = 0.0
    scheduler: str = "linear"
    max_seq_length: int = 256
    seed: int = 42
    precision: str = "auto"
    """auto: bf16 where the GPU supports it, fp16 with loss scaling on older GPUs, fp32 on CPU."""
    max_grad_norm: float | None = 1.0
    gradient_checkpointing: bool = False
    log_every: int = 1
    eval_every: int = 0
    eval_max_batches: int | None = None
    """Evaluate (and judge the baseline) on at most this many batches of validation rows:
    a large validation split then costs seconds, not minutes, at each evaluation."""
    checkpoint_every: int = 0
    data_workers: int | None = None
    """DataLoader worker processes collating training batches; None: up to four for
    images and large text, none for small data (engine/loader.py)."""
    keep_checkpoints: int = 3
    """How many of the newest checkpoints to keep."""

    def validate(self, at: str) -> None:
        positive = (
            "epochs",
            "batch_size",
            "gradient_accumulation",
            "max_seq_length",
            "log_every",
            "keep_checkpoints",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise SpecError(f"{at}.{name}", "must be at least 1")
        for name in ("eval_every", "checkpoint_every"):
            if getattr(self, name) < 0:
                raise SpecError(f"{at}.{name}", "must not be negative (0 turns it off)")
        if self.max_steps is not None and self.max_steps < 1:
            raise SpecError(f"{at}.max_steps", "must be at least 1, or null")
        if self.data_workers is not None and self.data_workers < 0:
            raise SpecError(f"{at}.data_workers", "must not be negative (0: no workers)")
        if self.eval_max_batches is not None and self.eval_max_batches < 1:
            raise SpecError(f"{at}.eval_max_batches", "must be at least 1, or null (all)")
        if self.learning_rate <= 0:
            raise SpecError(f"{at}.learning_rate", "must be positive")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise SpecError(f"{at}.warmup_ratio", "must be at least 0 and below 1")
        if self.scheduler not in SCHEDULERS:
            raise SpecError(f"{at}.scheduler", f"must be one of {', '.join(SCHEDULERS)}")
        if self.precision not in PRECISIONS:
            raise SpecError(f"{at}.precision", f"must be one of {', '.join(PRECISIONS)}")


@dataclass
class TrainingSpec:
    recipe: str
    model: ModelSpec
    dataset: DatasetSpec
    output_dir: str
    """The run directory's output folder; checkpoints go beside it."""
    method: str = "full"
    lora: LoraSpec = field(default_factory=LoraSpec)
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    job_id: str | None = None
    resume_from: str | None = None
    """null, "latest", or a checkpoint folder."""
    base_models_dir: str | None = None
    """Where a LoRA on a preset keeps the preset's random base weights, one folder per
    distinct base shared by every adapter trained on it (the app's data directory), so the
    adapter folder loads on its own wherever it is moved. null: inside output_dir."""
    overwrite_output: bool = False
    """Replace the model an earlier run left in output_dir. A folder SparkTrainer did not
    write is never replaced, whatever this says."""

    def validate(self) -> TrainingSpec:
        if self.recipe not in RECIPES:
            raise SpecError("recipe", f"must be one of {', '.join(RECIPES)}")
        if self.method not in METHODS:
            raise SpecError("method", f"must be one of {', '.join(METHODS)}")
        if not self.output_dir:
            raise SpecError("output_dir", "is required")
        self.model.validate("model")
        self.dataset.validate("dataset")
        self.lora.validate("lora")
        self.hyperparameters.validate("hyperparameters")
        if self.recipe == "custom_architecture" and self.model.source != "architecture":
            raise SpecError(
                "model.source",
                "custom_architecture trains a builder definition: use source 'architecture'",
            )
        if self.method == "lora" and self.model.source == "architecture":
            raise SpecError("method", "LoRA needs a pretrained transformer, not a builder network")
        return self

    @property
    def run_dir(self) -> Path:
        """Where checkpoints and events live: the parent of output_dir."""
        return Path(self.output_dir).parent

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> TrainingSpec:
        """Hyperparameters the spec leaves out get the values tuned for its kind of job."""
        return _build(cls, with_recommended(data), "").validate()


def load_spec(path: str | Path) -> TrainingSpec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError("", f"cannot read the spec {path}: {error.strerror}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(
            "", f"{path} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from error
    return TrainingSpec.from_dict(data)


def _build(cls: type, data: Any, at: str) -> Any:
    if not isinstance(data, dict):
        raise SpecError(at, f"must be an object, not {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SpecError(_join(at, unknown[0]), "is not a known field")
    values = {}
    for name, spec_field in known.items():
        path = _join(at, name)
        if name not in data:
            if spec_field.default is MISSING and spec_field.default_factory is MISSING:
                raise SpecError(path, "is required")
            continue
        values[name] = _convert(hints[name], data[name], path)
    return cls(**values)


def _convert(hint: Any, value: Any, at: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            if len(options) < len(typing.get_args(hint)):
                return None
            raise SpecError(at, "must not be null")
        return _convert(options[0], value, at)
    if value is None:
        raise SpecError(at, "must not be null")
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return _build(hint, value, at)
    if origin is list:
        if not isinstance(value, list):
            raise SpecError(at, f"must be a list, not {type(value).__name__}")
        (item,) = typing.get_args(hint)
        return [_convert(item, v, f"{at}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise SpecError(at, f"must be an object, not {type(value).__name__}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(at, f"must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(at, f"must be an integer, not {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(at, f"must be a number, not {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(at, f"must be a string, not {value!r}")
        return value
    return value


def _join(at: str, name: str) -> str:
    return f"{at}.{name}" if at else name

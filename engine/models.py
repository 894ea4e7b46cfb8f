"""Loading models: presets, local Hugging Face folders and hub ids, safely.

Weights come from safetensors only; a folder that holds nothing but pickle
files (`pytorch_model.bin`, `*.pt`) is refused, because loading one runs code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from engine import presets
from engine.errors import ConfigError
from engine.model_files import ModelFileError, check_folder, pickle_files
from engine.spec import TrainingSpec

# Attention projections by architecture family, in order of preference.
_LORA_CANDIDATES = (
    ("q_proj", "v_proj"),
    ("query", "value"),
    ("c_attn", "c_proj", "c_fc"),
    ("qkv",),
    ("Wqkv",),
    ("query_key_value",),
)


def check_safe_folder(path: Path) -> None:
    if not path.is_dir():
        raise ConfigError(f"model.path: {path} is not a folder")
    if not (path / "config.json").exists():
        raise ConfigError(f"model.path: {path} has no config.json (not a Hugging Face model)")
    try:
        check_folder(path)  # before any library parses them: a FIFO or a JSON list is refused
    except ModelFileError as error:
        raise ConfigError(f"model.path: {error}") from None
    files = [p for p in path.iterdir() if p.is_file()]
    if not any(p.suffix == ".safetensors" for p in files):
        pickles = pickle_files(path)
        detail = f" only pickle files ({', '.join(pickles)})" if pickles else " no weights"
        raise ConfigError(
            f"model.path: {path} has{detail}. SparkTrainer loads safetensors only, because "
            "unpickling a file can run arbitrary code; convert the weights to safetensors."
        )


def _source(spec: TrainingSpec) -> tuple[str, dict[str, Any]]:
    model = spec.model
    if model.source == "local":
        path = Path(model.path or "")
        check_safe_folder(path)
        return str(path), {"use_safetensors": True, "local_files_only": True}
    token = os.environ.get("HF_TOKEN") or None
    return model.repo_id or "", {"use_safetensors": True, "token": token}


def _seeded(spec: TrainingSpec) -> None:
    torch.manual_seed(spec.hyperparameters.seed)  # random preset weights and new heads


def _tokenizer(name_or_path: str, kwargs: dict[str, Any]) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        name_or_path, **{k: v for k, v in kwargs.items() if k != "use_safetensors"}
    )


def load_causal_lm(spec: TrainingSpec) -> tuple[torch.nn.Module, Any]:
    _seeded(spec)
    if spec.model.source == "preset":
        tokenizer = presets.byte_tokenizer()
        return presets.causal_lm(spec.model.name or "", tokenizer), tokenizer
    from transformers import AutoModelForCausalLM

    name, kwargs = _source(spec)
    return AutoModelForCausalLM.from_pretrained(name, **kwargs), _tokenizer(name, kwargs)


def load_sequence_classifier(spec: TrainingSpec, labels: list[str]) -> tuple[torch.nn.Module, Any]:
    _seeded(spec)
    if spec.model.source == "preset":
        tokenizer = presets.byte_tokenizer()
        return presets.sequence_classifier(spec.model.name or "", tokenizer, labels), tokenizer
    from transformers import AutoModelForSequenceClassification

    name, kwargs = _source(spec)
    model = AutoModelForSequenceClassification.from_pretrained(
        name,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        ignore_mismatched_sizes=True,
        **kwargs,
    )
    tokenizer = _tokenizer(name, kwargs)
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def load_image_classifier(spec: TrainingSpec, labels: list[str]) -> tuple[torch.nn.Module, Any]:
    _seeded(spec)
    if spec.model.source == "preset":
        return presets.image_classifier(spec.model.name or "", labels)
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    name, kwargs = _source(spec)
    model = AutoModelForImageClassification.from_pretrained(
        name,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        ignore_mismatched_sizes=True,
        **kwargs,
    )
    processor_kwargs = {k: v for k, v in kwargs.items() if k != "use_safetensors"}
    return model, AutoImageProcessor.from_pretrained(name, **processor_kwargs)


def default_lora_targets(model: torch.nn.Module) -> list[str]:
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    for candidate in _LORA_CANDIDATES:
        if all(part in names for part in candidate):
            return list(candidate)
    raise ConfigError(
        "lora.target_modules: cannot guess the attention layers of this model; "
        "name them in lora.target_modules"
    )

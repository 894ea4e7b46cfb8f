"""What a Hugging Face model folder holds, read from its files without importing torch, and
whether SparkTrainer may load it: the GUI checks a folder before anything parses it.

Refused, with the reason: no config.json, weights only in pickle formats (loading one runs
code), `auto_map` custom code (loading it runs the folder's Python), shards the index names
but the folder lacks, and no tokenizer or image processor to feed the model.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any

from app.errors import UserError
from engine.model_files import (
    ModelFileError,
    pickle_files,
    read_config,
    safetensors_files,
    safetensors_header,
)

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "vocab.txt",
    "tokenizer.model",
    "spiece.model",
)
PROCESSOR_FILES = ("preprocessor_config.json", "image_processor_config.json")
TASK_SUFFIXES = (
    ("ForCausalLM", "causal_lm_sft"),
    ("LMHeadModel", "causal_lm_sft"),
    ("ForSequenceClassification", "text_classification"),
    ("ForImageClassification", "image_classification"),
)
DTYPE_NAMES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64"}


class FolderRefusedError(UserError):
    """A folder SparkTrainer will not load; the message says why."""


@dataclass(frozen=True)
class FolderFacts:
    path: Path
    architecture: str
    model_type: str
    task: str
    parameters: int
    dtype: str
    size_bytes: int
    preprocessor: str
    """tokenizer or image processor."""


def task_of(architecture: str, model_type: str) -> str:
    """The recipe an architecture serves; a bare backbone (BertModel) serves the
    classification recipes, which add a head."""
    for suffix, task in TASK_SUFFIXES:
        if architecture.endswith(suffix):
            return task
    if model_type in ("vit", "deit", "convnext", "resnet", "swin", "beit", "dinov2"):
        return "image_classification"
    return "text_classification"


def folder_size(folder: Path) -> int:
    """Bytes of the regular files under `folder` (links not followed)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def inspect_folder(folder: Path) -> FolderFacts:
    where = str(folder)
    if not folder.is_dir():
        raise FolderRefusedError(f"{where} is not a folder")
    if (folder / "adapter_config.json").exists() and not (folder / "config.json").exists():
        raise FolderRefusedError(
            f"{where} is a LoRA adapter, not a model",
            "Add its base model; adapters trained here are registered with their job.",
        )
    if not (folder / "config.json").exists():
        raise FolderRefusedError(f"{where} has no config.json: not a Hugging Face model folder")
    try:
        config = read_config(folder)
        weights = safetensors_files(folder)
        headers = [safetensors_header(path) for path in weights]
    except ModelFileError as error:
        raise FolderRefusedError(str(error)) from None
    if config.get("auto_map"):
        raise FolderRefusedError(
            f"{where}: config.json names custom code (auto_map: "
            f"{', '.join(sorted(config['auto_map']))})",
            "Loading it would run the folder's own Python; SparkTrainer loads only "
            "architectures built into transformers.",
        )
    if not weights:
        pickles = pickle_files(folder)
        if pickles:
            raise FolderRefusedError(
                f"{where} has only pickle weights ({', '.join(pickles)})",
                "Unpickling a file can run arbitrary code; convert the weights to safetensors.",
            )
        raise FolderRefusedError(f"{where} has no weights (no *.safetensors file)")
    _check_shards(folder, weights)
    preprocessor = _preprocessor(folder)
    architectures = config.get("architectures") or []
    architecture = str(architectures[0]) if architectures else str(config.get("model_type", ""))
    parameters, dtypes = 0, Counter[str]()
    for header in headers:
        for name, tensor in header.items():
            if name == "__metadata__" or not isinstance(tensor, dict):
                continue
            count = prod(int(n) for n in tensor.get("shape", []))
            parameters += count
            dtypes[str(tensor.get("dtype", ""))] += count
    dtype = dtypes.most_common(1)[0][0] if dtypes else ""
    return FolderFacts(
        path=folder,
        architecture=architecture,
        model_type=str(config.get("model_type", "")),
        task=task_of(architecture, str(config.get("model_type", ""))),
        parameters=parameters,
        dtype=DTYPE_NAMES.get(dtype, dtype.lower()),
        size_bytes=folder_size(folder),
        preprocessor=preprocessor,
    )


def _check_shards(folder: Path, weights: list[Path]) -> None:
    index = folder / "model.safetensors.index.json"
    if not index.exists():
        return
    try:
        weight_map: dict[str, Any] = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        named = set(weight_map.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise FolderRefusedError(f"{index} cannot be read ({error})") from None
    missing = sorted(named - {path.name for path in weights})
    if missing:
        raise FolderRefusedError(
            f"{folder}: shards named in {index.name} are missing: {', '.join(missing)}"
        )


def _preprocessor(folder: Path) -> str:
    if any((folder / name).is_file() for name in TOKENIZER_FILES):
        return "tokenizer"
    if any((folder / name).is_file() for name in PROCESSOR_FILES):
        return "image processor"
    raise FolderRefusedError(
        f"{folder} has no tokenizer or image processor files "
        f"(looked for {', '.join(TOKENIZER_FILES + PROCESSOR_FILES)})",
        "Save the tokenizer (or image processor) beside the model with save_pretrained.",
    )

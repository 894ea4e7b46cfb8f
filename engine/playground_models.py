"""Loading a model to try: a model folder (full model or LoRA adapter) or a job's checkpoint.

The same safety rules as training: safetensors only, no remote code. A checkpoint holds
weights, not a loadable model, so it is rebuilt as its run built it (the run's spec, the
recipe's set-up, its LoRA wrapping) and the checkpoint's tensors are loaded into that.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.errors import ConfigError
from engine.model_files import ModelFileError, read_config
from engine.models import check_safe_folder
from engine.output_card import FACTS_FILE, prompt_format
from engine.prompts import has_chat_template
from engine.runtime import seed_everything, select_device

TASK_SUFFIXES = (
    ("ForCausalLM", "causal_lm"),
    ("LMHeadModel", "causal_lm"),
    ("ForSequenceClassification", "text_classification"),
    ("ForImageClassification", "image_classification"),
)
RECIPE_TASKS = {
    "causal_lm_sft": "causal_lm",
    "text_classification": "text_classification",
    "image_classification": "image_classification",
}


@dataclass
class Loaded:
    model: Any
    preprocessor: Any
    """The tokenizer, or the image processor of an image classifier."""
    task: str
    name: str
    prompt_format: str
    """"chat" (the tokenizer's template), "prompt", "messages" or "text": engine/prompts.py."""
    device: torch.device
    seconds: float

    @property
    def labels(self) -> list[str]:
        id2label = getattr(self.model.config, "id2label", None) or {}
        if self.task == "causal_lm" or not id2label:
            return []
        return [str(id2label[i]) for i in sorted(id2label, key=int)]

    def describe(self) -> dict[str, Any]:
        """The `load` request's result."""
        return {
            "task": self.task,
            "name": self.name,
            "labels": self.labels,
            "prompt_format": self.prompt_format,
            "chat_template": has_chat_template(self.preprocessor),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(self.device),
            "seconds": round(self.seconds, 3),
        }


def task_of(config: dict[str, Any]) -> str:
    for architecture in config.get("architectures") or []:
        for suffix, task in TASK_SUFFIXES:
            if str(architecture).endswith(suffix):
                return task
    raise ConfigError(
        "the playground tries text generation and text or image classification models; "
        f"this one is a {', '.join(config.get('architectures') or ['model of unknown kind'])}"
    )


def _auto_class(task: str) -> Any:
    import transformers

    return {
        "causal_lm": transformers.AutoModelForCausalLM,
        "text_classification": transformers.AutoModelForSequenceClassification,
        "image_classification": transformers.AutoModelForImageClassification,
    }[task]


def _preprocessor(folder: str, task: str, kwargs: dict[str, Any]) -> Any:
    from transformers import AutoImageProcessor, AutoTokenizer

    if task == "image_classification":
        return AutoImageProcessor.from_pretrained(folder, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _facts(folder: Path) -> dict[str, Any]:
    try:
        facts = json.loads((folder / FACTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return facts if isinstance(facts, dict) else {}


def _placed(model: Any, device: torch.device) -> Any:
    model = model.to(device)
    model.eval()
    return model


def _format(task: str, preprocessor: Any, trained_as: str | None) -> str:
    if task != "causal_lm":
        return ""
    if has_chat_template(preprocessor):
        return "chat"
    return trained_as or "text"


def load_folder(folder: Path) -> Loaded:
    """A Hugging Face model folder or a PEFT adapter folder (its base found from
    adapter_config.json: a local folder, or a hub id when online)."""
    began = time.monotonic()
    folder = folder.expanduser()
    adapter_file = folder / "adapter_config.json"
    facts = _facts(folder)
    device = select_device()
    hub = {"token": os.environ.get("HF_TOKEN") or None}
    if adapter_file.is_file():
        from peft import PeftModel

        adapter = json.loads(adapter_file.read_text(encoding="utf-8"))
        base = str(adapter.get("base_model_name_or_path") or "")
        if not base:
            raise ConfigError(f"{adapter_file} names no base model (base_model_name_or_path)")
        local = Path(base).is_dir()
        if local:
            check_safe_folder(Path(base))
            task = task_of(read_config(Path(base)))
        else:
            from transformers import AutoConfig

            task = task_of(AutoConfig.from_pretrained(base, **hub).to_dict())
        kwargs: dict[str, Any] = {"local_files_only": True} if local else hub
        model = _auto_class(task).from_pretrained(base, use_safetensors=True, **kwargs)
        model = PeftModel.from_pretrained(model, str(folder))
        source = (
            str(folder)
            if (folder / "tokenizer_config.json").exists()
            or (folder / "preprocessor_config.json").exists()
            else base
        )
        preprocessor = _preprocessor(source, task, kwargs if source == base else {})
    else:
        check_safe_folder(folder)
        try:
            task = task_of(read_config(folder))
        except ModelFileError as error:
            raise ConfigError(str(error)) from None
        model = _auto_class(task).from_pretrained(
            str(folder), use_safetensors=True, local_files_only=True
        )
        preprocessor = _preprocessor(str(folder), task, {"local_files_only": True})
    fmt = _format(task, preprocessor, facts.get("prompt_format") or ("prompt" if facts else None))
    return Loaded(
        _placed(model, device),
        preprocessor,
        task,
        str(facts.get("name") or folder.name),
        fmt,
        device,
        time.monotonic() - began,
    )


def load_checkpoint(spec_file: Path, path: Path) -> Loaded:
    """A checkpoint of a run (paused, stopped or still going): the run's model rebuilt from
    its spec, with the checkpoint's weights."""
    from safetensors.torch import load_file

    from engine import checkpoint
    from engine.recipes import create_recipe
    from engine.spec import SpecError, load_spec

    began = time.monotonic()
    try:
        spec = load_spec(spec_file)
    except SpecError as error:
        raise ConfigError(f"{spec_file}: {error}") from None
    task = RECIPE_TASKS.get(spec.recipe)
    if task is None:
        raise ConfigError(f"the playground cannot try a {spec.recipe.replace('_', ' ')} model")
    try:
        checkpoint.verify(path)
    except checkpoint.DamagedCheckpointError as error:
        raise ConfigError(f"{path}: {error}") from None
    seed_everything(spec.hyperparameters.seed)  # the training's random preset weights
    recipe = create_recipe(spec)
    recipe.setup()
    model: Any = recipe.model
    lora = spec.method == "lora"
    if lora:
        model = recipe.with_lora(model)
    _missing, unexpected = model.load_state_dict(
        load_file(str(path / checkpoint.WEIGHTS)), strict=not lora
    )
    if unexpected:
        raise ConfigError(f"{path} does not match its run's model (unexpected {unexpected[0]})")
    preprocessor = getattr(recipe, "tokenizer", None) or getattr(recipe, "processor", None)
    device = select_device()
    return Loaded(
        _placed(model, device),
        preprocessor,
        task,
        f"{spec.model.name or spec.model.repo_id or Path(spec.model.path or '').name} "
        f"at {path.name}",
        _format(task, preprocessor, prompt_format(spec)),
        device,
        time.monotonic() - began,
    )

"""Models that need no download: small configs with random weights and a byte tokenizer.

They make every recipe runnable offline and in tests on the CPU. The byte-level
ByT5 tokenizer needs no vocabulary file: 256 byte ids plus a few specials.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ConfigError
from engine.spec import PRESET_KINDS

PRESETS = PRESET_KINDS


def byte_tokenizer() -> Any:
    from transformers import ByT5Tokenizer

    tokenizer = ByT5Tokenizer()
    tokenizer.model_max_length = 1024
    return tokenizer


def _check(name: str, kind: str) -> None:
    if name not in PRESETS:
        raise ConfigError(f"model.name: unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    if PRESETS[name] != kind:
        raise ConfigError(
            f"model.name: preset {name!r} is a {PRESETS[name]} model, "
            f"this recipe needs a {kind} model"
        )


def causal_lm(name: str, tokenizer: Any) -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    _check(name, "causal_lm")
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=1024,
        n_embd=64,
        n_layer=2,
        n_head=4,
        # Wider than GPT-2's 0.02: with frozen random embeddings (LoRA) the logits must
        # still be able to move far enough for the loss to fall.
        initializer_range=0.15,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return GPT2LMHeadModel(config)


def sequence_classifier(name: str, tokenizer: Any, labels: list[str]) -> Any:
    from transformers import BertConfig, BertForSequenceClassification

    _check(name, "sequence_classification")
    config = BertConfig(  # type: ignore[call-arg]  # PretrainedConfig takes num_labels
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    return BertForSequenceClassification(config)


def image_classifier(name: str, labels: list[str]) -> tuple[Any, Any]:
    from transformers import ViTConfig, ViTForImageClassification

    try:  # transformers 5 without torchvision: the PIL backend, named explicitly
        from transformers import ViTImageProcessorPil as ViTImageProcessor
    except ImportError:
        from transformers import ViTImageProcessor  # type: ignore[assignment]

    _check(name, "image_classification")
    config = ViTConfig(  # type: ignore[call-arg]  # PretrainedConfig takes num_labels
        image_size=32,
        patch_size=8,
        num_channels=3,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    processor = ViTImageProcessor(size={"height": 32, "width": 32}, do_resize=True)
    return ViTForImageClassification(config), processor

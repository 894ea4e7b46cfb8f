"""How much GPU memory a job will need, before it starts, with the numbers shown.

weights + gradients + optimizer state by parameter count (full fine-tuning
trains every parameter; LoRA trains a few), plus activations from batch ×
sequence × hidden size × layers. An estimate, not a promise: it errs high.
"""

from __future__ import annotations

from dataclasses import dataclass

BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
ADAM_STATE_BYTES = 8  # two fp32 moments per trained parameter
# Activations kept per token per layer, in hidden-size units: attention inputs and
# outputs, the MLP's 4× expansion, norms and residuals (about what a GPT-style block keeps).
ACTIVATION_FACTOR = 34
OVERHEAD = 1.1  # allocator fragmentation and the CUDA context's share


@dataclass(frozen=True)
class ModelShape:
    parameters: int
    hidden_size: int
    layers: int


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    gradients: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return int((self.weights + self.gradients + self.optimizer + self.activations) * OVERHEAD)

    def explain(self) -> str:
        gib = 1024**3
        return (
            f"weights {self.weights / gib:.2f} GiB + gradients {self.gradients / gib:.2f} "
            f"GiB + optimizer {self.optimizer / gib:.2f} GiB + activations "
            f"{self.activations / gib:.2f} GiB (+10 %) ≈ {self.total / gib:.2f} GiB"
        )


def estimate_memory(
    shape: ModelShape,
    *,
    method: str,
    precision: str,
    batch_size: int,
    sequence_length: int,
    lora_fraction: float = 0.01,
    gradient_checkpointing: bool = False,
) -> MemoryEstimate:
    # "auto" trains in bf16 or fp16 on a GPU: two bytes either way.
    width = BYTES.get(precision, BYTES["bf16"])
    trained = shape.parameters if method == "full" else int(shape.parameters * lora_fraction)
    activations = batch_size * sequence_length * shape.hidden_size * shape.layers * width
    activations *= ACTIVATION_FACTOR if not gradient_checkpointing else 2
    return MemoryEstimate(
        weights=shape.parameters * width,
        gradients=trained * width,
        optimizer=trained * ADAM_STATE_BYTES,
        activations=activations,
    )


def fits(estimate: MemoryEstimate, free_bytes: int | None) -> tuple[bool, str]:
    """Whether it fits a GPU with `free_bytes` free, and a sentence with the numbers."""
    if free_bytes is None:
        return True, f"Needs about {estimate.explain()}; free GPU memory is unknown."
    gib = 1024**3
    if estimate.total <= free_bytes:
        return True, (
            f"Needs about {estimate.total / gib:.1f} GiB of {free_bytes / gib:.1f} GiB free."
        )
    return False, (
        f"Will likely not fit: needs about {estimate.explain()}, the GPU has "
        f"{free_bytes / gib:.1f} GiB free. Lower the batch size or sequence "
        "length, use LoRA, or turn on gradient checkpointing."
    )

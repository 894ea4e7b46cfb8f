"""The memory estimate: the numbers add up, and full > LoRA > checkpointed LoRA."""

from __future__ import annotations

from app.jobs.estimate import ModelShape, estimate_memory, fits

GIB = 1024**3
SEVEN_B = ModelShape(parameters=7_000_000_000, hidden_size=4096, layers=32)


def test_full_fine_tuning_of_7b_in_bf16_needs_far_more_than_24_gib() -> None:
    full = estimate_memory(
        SEVEN_B, method="full", precision="bf16", batch_size=1, sequence_length=512
    )
    assert full.weights == 14_000_000_000
    assert full.optimizer == 56_000_000_000
    ok, message = fits(full, 24 * GIB)
    assert not ok and "use LoRA" in message and "weights 13.04 GiB" in message


def test_lora_and_checkpointing_shrink_the_estimate() -> None:
    kwargs = dict(precision="bf16", batch_size=4, sequence_length=1024)
    full = estimate_memory(SEVEN_B, method="full", **kwargs)
    lora = estimate_memory(SEVEN_B, method="lora", **kwargs)
    lean = estimate_memory(SEVEN_B, method="lora", gradient_checkpointing=True, **kwargs)
    assert full.total > lora.total > lean.total
    assert lora.weights == full.weights  # the frozen base still sits in memory
    ok, message = fits(lean, 80 * GIB)
    assert ok and "of 80.0 GiB free" in message


def test_unknown_free_memory_still_explains() -> None:
    estimate = estimate_memory(
        ModelShape(1_000_000, 64, 2),
        method="full",
        precision="fp32",
        batch_size=8,
        sequence_length=128,
    )
    ok, message = fits(estimate, None)
    assert ok and "unknown" in message

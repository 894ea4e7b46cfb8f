"""Device and precision: CUDA when present (respecting CUDA_VISIBLE_DEVICES), else the CPU."""

from __future__ import annotations

import contextlib
import ctypes
import random
import sys
from collections.abc import Iterator

import numpy as np
import torch

# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's ceiling on 64-bit


def tune_allocator() -> bool:
    """Keep freed activation buffers in the heap for the next step (Linux glibc).

    By default glibc returns large blocks to the kernel when freed (mmap
    threshold, heap trimming), so every training step page-faults its
    activations in again: measured at about 7 % of a CPU step on tiny-gpt2
    (tests/benchmarks/bench_engine_throughput.py). A training process reuses
    the same sizes every step, so holding on to them is the right trade.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(
            libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
            and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        )
    except (OSError, AttributeError):  # not glibc (musl, another libc): keep its defaults
        return False


def select_device() -> torch.device:
    # CUDA_VISIBLE_DEVICES is honoured by torch itself: cuda:0 is the first visible GPU.
    return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")


def resolve_precision(requested: str, device: torch.device) -> str:
    if device.type != "cuda":
        return "fp32"
    if requested == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return requested


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower()
    )


@contextlib.contextmanager
def no_grad_eval(model: torch.nn.Module) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)

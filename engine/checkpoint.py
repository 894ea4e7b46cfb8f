"""Checkpoints that a kill at any moment cannot tear.

Each is written into a temporary folder and renamed into place, so a folder
named `checkpoint-STEP` is always complete. A manifest of every file's SHA-256 is
written last; resuming verifies it, so a checkpoint damaged later (flipped bytes,
a file edited or lost) is never loaded: the newest intact one is used instead,
with a log event that says which and why. Nothing is pickled: weights are
safetensors, and the optimizer, scheduler and RNG states are their tensors in
safetensors plus the structure around them in JSON. (Checkpoints written before this
have a `training_state.pt`, still read with `torch.load(weights_only=True)`.)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from engine.model_files import pickle_files
from engine.protocol import CHECKPOINT_PREFIX, CHECKPOINT_PROGRESS, complete_checkpoints

# Test hook: seconds to sleep half-way through writing a checkpoint.
_TEST_PAUSE = float(os.environ.get("SPARKTRAINER_ENGINE_TEST_CHECKPOINT_PAUSE", "0"))

PREFIX = CHECKPOINT_PREFIX
TMP_PREFIX = ".tmp-"
WEIGHTS = "model.safetensors"
STATE_TENSORS = "training_state.safetensors"
STATE_STRUCTURE = "training_state.json"
LEGACY_STATE = "training_state.pt"
PROGRESS = CHECKPOINT_PROGRESS
MANIFEST = "manifest.json"


class DamagedCheckpointError(ValueError):
    """A checkpoint that must not be loaded; the message says what is wrong with it."""


def rng_state() -> dict[str, Any]:
    numpy_state: Any = np.random.get_state()  # the legacy tuple form
    kind, keys, position, has_gauss, gauss = numpy_state
    state: dict[str, Any] = {
        "python": random.getstate(),
        # As tensors and numbers: weights_only loading accepts no numpy objects.
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def trainable_state(model: torch.nn.Module, *, only_trainable: bool) -> dict[str, torch.Tensor]:
    """The tensors to save: all of them, or for LoRA only the adapter's."""
    if only_trainable:
        return {
            n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad
        }
    state = model.state_dict()
    # safetensors refuses tensors that share memory (tied embeddings): save clones.
    return {name: tensor.detach().cpu().clone().contiguous() for name, tensor in state.items()}


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def save(
    root: Path,
    step: int,
    *,
    weights: dict[str, torch.Tensor],
    state: dict[str, Any],
    progress: dict[str, Any],
    keep: int,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{PREFIX}{step}"
    tmp = root / f"{TMP_PREFIX}{PREFIX}{step}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    save_file(weights, str(tmp / WEIGHTS))
    if _TEST_PAUSE:
        time.sleep(_TEST_PAUSE)  # lets a test kill the process in the middle of a save
    tensors: dict[str, torch.Tensor] = {}
    structure = _flatten(state, tensors)
    save_file(tensors, str(tmp / STATE_TENSORS))
    (tmp / STATE_STRUCTURE).write_text(json.dumps(structure))
    (tmp / PROGRESS).write_text(json.dumps(progress, indent=2))
    _write_manifest(tmp, step)
    _fsync_tree(tmp)
    if final.exists():  # the same step saved again (stop right after a periodic save)
        old = root / f"{TMP_PREFIX}old-{PREFIX}{step}-{os.getpid()}"
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(final)
    _prune(root, keep)
    return final


def latest(root: Path) -> Path | None:
    checkpoints = complete_checkpoints(root)
    return checkpoints[-1] if checkpoints else None


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(folder: Path, step: int) -> None:
    files = {
        path.name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(folder.iterdir())
        if path.is_file()
    }
    (folder / MANIFEST).write_text(json.dumps({"step": step, "files": files}, indent=2))


def verify(path: Path) -> None:
    """Raise DamagedCheckpointError unless every file matches the manifest and the progress
    file is this checkpoint's. A checkpoint from before manifests is checked for its files."""
    if not (path / WEIGHTS).exists():
        pickles = pickle_files(path)
        if pickles and not (path / MANIFEST).exists():
            raise DamagedCheckpointError(
                f"it holds only pickle files ({', '.join(pickles)}); checkpoints load from "
                "safetensors only, because unpickling a file can run code"
            )
        raise DamagedCheckpointError(f"{WEIGHTS} is missing")
    if (path / MANIFEST).exists():
        try:
            manifest = json.loads((path / MANIFEST).read_text())
            files = dict(manifest["files"])
        except (ValueError, KeyError, TypeError):
            raise DamagedCheckpointError(f"its {MANIFEST} is unreadable") from None
        for name, entry in files.items():
            file = path / name
            if not file.is_file():
                raise DamagedCheckpointError(f"{name} is missing")
            if file.stat().st_size != entry.get("bytes") or _sha256(file) != entry.get("sha256"):
                raise DamagedCheckpointError(f"{name} does not match its checksum")
    try:
        progress = json.loads((path / PROGRESS).read_text())
        step = int(progress["step"])
    except FileNotFoundError:
        raise DamagedCheckpointError(f"{PROGRESS} is missing") from None
    except (ValueError, KeyError, TypeError):
        raise DamagedCheckpointError(f"{PROGRESS} is not valid progress JSON") from None
    expected = path.name.removeprefix(PREFIX)
    if expected.isdigit() and step != int(expected):
        raise DamagedCheckpointError(f"{PROGRESS} is for step {step}, not {expected}")


def newest_intact(root: Path) -> tuple[Path | None, list[tuple[Path, str]]]:
    """The newest checkpoint that verifies, and the newer ones that did not (with why)."""
    damaged: list[tuple[Path, str]] = []
    for path in reversed(complete_checkpoints(root)):
        try:
            verify(path)
        except DamagedCheckpointError as error:
            damaged.append((path, str(error)))
            continue
        return path, damaged
    return None, damaged


def remove_partial(root: Path) -> None:
    """Temporary folders left by a kill in the middle of a save."""
    if root.is_dir():
        for path in root.iterdir():
            if path.name.startswith(TMP_PREFIX):
                shutil.rmtree(path, ignore_errors=True)


def _prune(root: Path, keep: int) -> None:
    for path in complete_checkpoints(root)[:-keep]:
        shutil.rmtree(path, ignore_errors=True)


def load(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any]]:
    weights = load_file(str(path / WEIGHTS))
    if (path / STATE_STRUCTURE).exists():
        tensors = load_file(str(path / STATE_TENSORS))
        state = _unflatten(json.loads((path / STATE_STRUCTURE).read_text()), tensors)
    else:
        state = torch.load(path / LEGACY_STATE, weights_only=True)
    progress = json.loads((path / PROGRESS).read_text())
    return weights, state, progress


def _flatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """JSON for a tree of dicts, lists, tuples, numbers, strings and tensors; each tensor
    goes to `tensors` under a generated name. Dict keys keep their type (the optimizer's
    are parameter indices) and tuples stay tuples (Python's RNG state needs them)."""
    if isinstance(value, torch.Tensor):
        name = f"t{len(tensors)}"
        tensors[name] = value.detach().cpu().contiguous()
        return {"tensor": name}
    if isinstance(value, dict):
        return {"dict": [[_flatten(k, tensors), _flatten(v, tensors)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"tuple": [_flatten(item, tensors) for item in value]}
    if isinstance(value, list):
        return [_flatten(item, tensors) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint without pickle")


def _unflatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, list):
        return [_unflatten(item, tensors) for item in value]
    if isinstance(value, dict):
        if "tensor" in value:
            return tensors[value["tensor"]]
        if "tuple" in value:
            return tuple(_unflatten(item, tensors) for item in value["tuple"])
        return {_unflatten(k, tensors): _unflatten(v, tensors) for k, v in value["dict"]}
    return value

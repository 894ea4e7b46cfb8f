"""A model folder's own files read without trusting them: config.json and the JSON headers
of its safetensors files, regular files only and size-capped. One rule for the engine and
the pre-submit check: a FIFO named model.safetensors cannot hang either, and a header or
config that is not a JSON object is a message, not a crash in a library.

Standard library only: the GUI imports this.
"""

from __future__ import annotations

import json
import stat
import struct
from pathlib import Path
from typing import Any

PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".ckpt"}
"""Weight files in pickle formats: never loaded (unpickling runs code), only named."""
MAX_CONFIG_BYTES = 16 * 1024**2
MAX_HEADER_BYTES = 100 * 1024**2


def partial_download_folder(folder: Path) -> Path:
    """Where an unfinished hub download of `folder` waits, to be resumed, until it is
    complete and renamed into place."""
    return folder.with_name(f".partial-{folder.name}")


class ModelFileError(ValueError):
    """A model file that cannot be used; the message names it."""


def _regular(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise ModelFileError(f"{path}: cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise ModelFileError(f"{path} is not a regular file")


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    _regular(path)
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{path} is larger than a model configuration can be")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelFileError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path} holds a JSON {type(config).__name__}, not an object")
    return config


def safetensors_files(folder: Path) -> list[Path]:
    """The folder's *.safetensors, each checked to be a regular file."""
    files = sorted(folder.glob("*.safetensors"))
    for path in files:
        _regular(path)
    return files


def pickle_files(folder: Path) -> list[str]:
    """Names of the pickle weight files in `folder`, sorted (for the refusal message)."""
    return sorted(p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES)


def safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header (tensor names, shapes, dtypes), read without loading any weight."""
    _regular(path)
    try:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > MAX_HEADER_BYTES:
                raise ModelFileError(f"{path}: the header claims {length:,} bytes")
            header = json.loads(handle.read(length))
    except (OSError, struct.error, UnicodeDecodeError, ValueError) as error:
        raise ModelFileError(f"{path} is not a safetensors file ({error})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: the header is a JSON {type(header).__name__}, not an object")
    return header


def check_folder(folder: Path) -> None:
    """config.json and every safetensors header can be read as what they claim to be."""
    read_config(folder)
    for path in safetensors_files(folder):
        safetensors_header(path)

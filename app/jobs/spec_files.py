"""Spec files on disk: exported jobs and wizard templates, read and written one way.

The window's Export spec… and Save as template…, and the command line's
`job export` and `job submit FILE`, all come through here, so a file that
cannot be written is the same plain error naming the path everywhere (never a
traceback), and a half-written file is never left behind.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from app.errors import UserError
from engine.spec import SpecError, TrainingSpec

RUN_FIELDS = ("job_id", "output_dir", "resume_from", "base_models_dir")
"""Filled in by the service for each job; a template or an export leaves them out."""


def spec_template(spec: dict[str, Any]) -> dict[str, Any]:
    """A job's spec without what belongs to one run: for export, clone and templates."""
    return {key: value for key, value in copy.deepcopy(spec).items() if key not in RUN_FIELDS}


def spec_text(spec: dict[str, Any]) -> str:
    return json.dumps(spec_template(spec), indent=2) + "\n"


def write_spec(spec: dict[str, Any], path: Path) -> Path:
    """Write the spec as a template to `path`, atomically: the old file or the new one."""
    write_text_atomically(path, spec_text(spec))
    return path


def write_text_atomically(path: Path, text: str) -> None:
    """Through a temporary file in the same folder and a rename; errors name the path."""
    path = Path(path)
    tmp: str | None = None
    try:
        descriptor, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as error:
        reason = error.strerror or str(error)
        raise UserError(
            f"Cannot write {path}: {reason}.",
            "Choose a folder you can write to, with free space.",
        ) from error
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def absolute_paths(spec: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative dataset and model paths made absolute against `base` (the terminal's
    folder, where `job submit` checked them): the engine runs elsewhere."""
    spec = copy.deepcopy(spec)
    for section, key in (("dataset", "path"), ("model", "path")):
        part = spec.get(section)
        if isinstance(part, dict) and isinstance(part.get(key), str) and part[key]:
            candidate = Path(part[key]).expanduser()
            part[key] = str(candidate if candidate.is_absolute() else (base / candidate).resolve())
    return spec


def read_spec(path: Path, dropped: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read an exported spec (or a template); errors name the file and the field.
    `dropped` receives the run fields the file set, which each job sets for itself."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror or error}.") from error
    except UnicodeDecodeError as error:
        raise UserError(f"{path} is not a text file: {error.reason}.") from error
    except ValueError as error:
        raise UserError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise UserError(f"{path}: a spec is a JSON object, not {type(data).__name__}")
    try:
        TrainingSpec.from_dict({"output_dir": "-", **spec_template(data)})
    except SpecError as error:
        raise UserError(f"{path}: {error}") from error
    if dropped is not None:
        dropped.update({key: data[key] for key in RUN_FIELDS if data.get(key)})
    return spec_template(data)


def apply_changes(spec: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`{"hyperparameters.learning_rate": 1e-4}` → a copy of the spec with that field set."""
    result = copy.deepcopy(spec)
    for dotted, value in changes.items():
        node = result
        *parents, last = dotted.split(".")
        for name in parents:
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                raise UserError(f"{dotted}: {name} is not an object in the spec")
        node[last] = value
    return result

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

RUN_FIELDS = ("job_id", "output_dir", "resume_from")
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


def read_spec(path: Path) -> dict[str, Any]:
    """Read an exported spec (or a template); errors name the file and the field."""
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
    return spec_template(data)

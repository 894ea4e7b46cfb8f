"""Which spec fields a set of runs differ in: what a comparison shows (only those)."""

from __future__ import annotations

import json
from typing import Any

IGNORED = {"job_id", "output_dir"}
"""Different for every run by construction: never a difference worth showing."""


def flatten(spec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in spec.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def spec_differences(specs: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """(dotted field, value per spec) for every field whose values are not all equal."""
    flat = [flatten(spec) for spec in specs]
    keys = sorted({key for item in flat for key in item} - IGNORED)
    missing = object()
    rows = []
    for key in keys:
        values = [item.get(key, missing) for item in flat]
        if any(json.dumps(v, default=str) != json.dumps(values[0], default=str) for v in values):
            rows.append((key, [None if v is missing else v for v in values]))
    return rows


def shown(value: Any) -> str:
    """A spec value as a table cell: strings as they are, the rest as JSON."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value)

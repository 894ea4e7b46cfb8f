"""Failures the engine reports with a kind (DESIGN.md §3 `failed` event)."""

from __future__ import annotations


class EngineFailure(Exception):  # noqa: N818 - "failure" is the protocol's word
    kind = "internal"


class DataError(EngineFailure):
    """Bad data: names the file, column, row or label so the person can fix it."""

    kind = "data"


class ConfigError(EngineFailure):
    """A spec that is valid JSON but cannot work (unknown preset, missing model folder)."""

    kind = "config"


class OutOfMemory(EngineFailure):
    kind = "oom"

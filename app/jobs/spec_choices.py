"""What a spec may say, for the job wizard (views reach the engine's spec only through app)."""

from __future__ import annotations

from engine.spec import METHODS, PLAIN_TEMPLATE, PRECISIONS, PRESET_KINDS, RECIPES, SCHEDULERS

__all__ = ["METHODS", "PLAIN_TEMPLATE", "PRECISIONS", "PRESET_KINDS", "RECIPES", "SCHEDULERS"]

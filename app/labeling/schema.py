"""A project's classes: names, colours and the key that gives each."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.errors import UserError

KINDS = ("text_classification", "image_classification")
PALETTE = (
    "#3b7dd8", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00",
    "#1098ad", "#d6336c", "#5c7cfa", "#74b816", "#868e96",
)  # fmt: skip
DEFAULT_HOTKEYS = "1234567890"
RESERVED_KEYS = {"J", "K"}
"""J and K move between samples (as do the arrows; Space skips)."""
MAX_CLASSES = 64


@dataclass(frozen=True)
class LabelClass:
    name: str
    colour: str
    hotkey: str
    """One character (a digit or a letter), or "" for a class picked from the list."""

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def make_classes(names: list[str], hotkeys: list[str] | None = None) -> list[LabelClass]:
    """Classes in the order given, with palette colours and the keys 1 to 9 and 0 unless
    `hotkeys` says otherwise; refused (naming the class) when a name or a key repeats."""
    cleaned = [name.strip() for name in names]
    if not cleaned or any(not name for name in cleaned):
        raise UserError("classes: give at least one class, and no empty name.")
    if len(cleaned) > MAX_CLASSES:
        raise UserError(f"classes: at most {MAX_CLASSES} classes ({len(cleaned)} given).")
    seen: set[str] = set()
    for name in cleaned:
        if name.casefold() in seen:
            raise UserError(f"classes: {name!r} is named twice.")
        seen.add(name.casefold())
    keys = hotkeys or [
        DEFAULT_HOTKEYS[i] if i < len(DEFAULT_HOTKEYS) else "" for i in range(len(cleaned))
    ]
    if len(keys) != len(cleaned):
        raise UserError("classes: give one hotkey per class.")
    used: dict[str, str] = {}
    classes = []
    for i, (name, key) in enumerate(zip(cleaned, keys, strict=True)):
        key = key.strip().upper()
        if len(key) > 1 or (key and not key.isalnum()):
            raise UserError(f"classes: the key of {name!r} must be one letter or digit.")
        if key in RESERVED_KEYS:
            raise UserError(f"classes: {key} moves between samples; give {name!r} another key.")
        if key and key in used:
            raise UserError(f"classes: {name!r} and {used[key]!r} both use the key {key}.")
        if key:
            used[key] = name
        classes.append(LabelClass(name, PALETTE[i % len(PALETTE)], key))
    return classes


def classes_from_json(values: list[dict[str, Any]]) -> list[LabelClass]:
    return [LabelClass(str(v["name"]), str(v["colour"]), str(v.get("hotkey", ""))) for v in values]

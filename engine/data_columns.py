"""Which columns a spec reads and whether rows have them: one rule for the engine and the
pre-submit check (the wizard and `job submit`), so a job the check passes does not fail on
its columns in the engine.

Standard library only: the GUI imports this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.data_files import DataFileError


class ColumnError(DataFileError):
    """A column the spec names that the data lacks or leaves empty; `field` is the spec
    field that names it (dataset.text_column), and the message starts with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def is_image_folder(path: str | Path) -> bool:
    """A folder of class sub-folders (not a table with an image column)."""
    folder = Path(path)
    return folder.is_dir() and not any(folder.glob("*.parquet"))


def spec_columns(spec: dict[str, Any]) -> dict[str, str]:
    """Spec field → the column it names, for the spec's recipe (an image folder has none).

    Raises ColumnError when one column is named for two roles (a prompt that is also the
    response, a text that is also the label)."""
    dataset, recipe = spec.get("dataset") or {}, spec.get("recipe")
    columns: dict[str, str] = {}
    if recipe == "causal_lm_sft":
        if dataset.get("messages_column"):
            columns["dataset.messages_column"] = dataset["messages_column"]
        elif dataset.get("prompt_column"):
            columns["dataset.prompt_column"] = dataset["prompt_column"]
            columns["dataset.response_column"] = dataset.get("response_column") or ""
        else:
            columns["dataset.text_column"] = dataset.get("text_column") or "text"
    elif recipe == "text_classification":
        columns["dataset.text_column"] = dataset.get("text_column") or "text"
        columns["dataset.label_column"] = dataset.get("label_column") or "label"
    elif recipe in ("image_classification", "custom_architecture"):
        definition = (spec.get("model") or {}).get("definition") or {}
        inputs = definition.get("input") or {}
        if recipe == "custom_architecture" and inputs.get("kind") == "tabular":
            for index, feature in enumerate(inputs.get("features") or []):
                columns[f"model.definition.input.features[{index}]"] = feature
        elif recipe == "custom_architecture" and inputs.get("kind") == "tokens":
            columns["dataset.text_column"] = dataset.get("text_column") or "text"
        elif is_image_folder(dataset.get("path", "")):
            return {}
        else:
            columns["dataset.image_column"] = dataset.get("image_column") or "image"
        columns["dataset.label_column"] = dataset.get("label_column") or "label"
    seen: dict[str, str] = {}
    for field, column in columns.items():
        if column in seen and not field.startswith("model."):
            raise ColumnError(
                field,
                f"{column!r} is the same column as {seen[column]}: "
                "choose a different column for each",
            )
        seen.setdefault(column, field)
    return columns


def check_columns(
    columns: list[str], rows: list[dict[str, Any]], wanted: dict[str, str], source: str
) -> None:
    """Every wanted column exists and no row leaves it empty."""
    check_column_values(columns, lambda name: [row.get(name) for row in rows], wanted, source)


def check_column_values(
    columns: list[str],
    values_of: Callable[[str], Sequence[Any]],
    wanted: dict[str, str],
    source: str,
) -> None:
    """check_columns on data held by column (the engine's Arrow table): `values_of` gives
    one column's values in row order. The first empty row is reported, as row by row."""
    for field, column in wanted.items():
        if column not in columns:
            raise ColumnError(
                field,
                f"{source}: no column {column!r}; columns are {', '.join(columns) or 'none'}",
            )
    first: tuple[int, str, str] | None = None
    for field, column in wanted.items():
        empty = next((i for i, v in enumerate(values_of(column)) if v in (None, "")), None)
        if empty is not None and (first is None or empty < first[0]):
            first = (empty, field, column)
    if first is not None:
        number, field, column = first
        raise ColumnError(field, f"{source}, row {number + 1}: column {column!r} is empty")

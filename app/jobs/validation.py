"""Checks a spec against its dataset and model before anything is queued.

The engine checks everything again, but a mistake found here costs nothing:
no queue wait, no model load. Only the header and the first rows are read, so
a check of a multi-GB dataset is as quick as one of a tiny file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.jobs.estimate import ModelShape
from engine.data_columns import ColumnError, check_columns, is_image_folder, spec_columns
from engine.data_files import DataFileError, read_rows, split_names
from engine.model_files import (
    ModelFileError,
    check_folder,
    pickle_files,
    read_config,
    safetensors_files,
    safetensors_header,
)
from engine.spec import PRESET_KINDS

SAMPLE_ROWS = 1_000
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
TABLE_RECIPES = ("causal_lm_sft", "text_classification")
"""Recipes that read a table of text, never an image folder."""
RECIPE_MODEL_KIND = {
    "causal_lm_sft": "causal_lm",
    "text_classification": "sequence_classification",
    "image_classification": "image_classification",
}
# Shapes of the presets (engine/presets.py, counted there), for the memory estimate.
PRESET_SHAPES = {
    "tiny-gpt2": ModelShape(parameters=190_208, hidden_size=64, layers=2),
    "tiny-bert": ModelShape(parameters=161_602, hidden_size=64, layers=2),
    "tiny-vit": ModelShape(parameters=80_706, hidden_size=64, layers=2),
}


@dataclass(frozen=True)
class DataSample:
    columns: list[str]
    rows: list[dict[str, Any]]


def _invalid(field: str, message: str, hint: str = "") -> UserError:
    return UserError(f"{field}: {message}", hint)


# -- dataset ---------------------------------------------------------------------------------


def read_sample(path: Path, limit: int = SAMPLE_ROWS) -> DataSample:
    """Column names and the first `limit` rows of a data file or a folder of Parquet files,
    read by the engine's own reader (the same encodings and delimiters)."""
    try:
        columns, rows = read_rows(path, limit)
    except DataFileError as error:
        raise _invalid(
            "dataset.path",
            str(error),
            "Use Parquet, CSV, TSV, JSON or JSONL, or import the file into the dataset store.",
        ) from None
    return DataSample(columns, rows)


def check_dataset(spec: dict[str, Any]) -> None:
    dataset = spec.get("dataset", {})
    path = Path(dataset.get("path", ""))
    if not path.exists():
        raise _invalid(
            "dataset.path", f"{path} does not exist", "Pick a dataset version that is in the store."
        )
    if spec.get("recipe") in TABLE_RECIPES and is_image_folder(path):
        raise _invalid(
            "dataset.path",
            f"{path} is an image folder; {spec.get('recipe')} reads a table of text",
            "Pick a table (CSV, JSONL, Parquet) or another recipe.",
        )
    if spec.get("recipe") == "image_classification" and path.is_dir():
        classes = [d for d in path.iterdir() if d.is_dir()]
        if not any(path.rglob("*.parquet")):
            if len(classes) < 2:
                raise _invalid(
                    "dataset.path",
                    f"{path}: an image folder needs a sub-folder per class (found {len(classes)})",
                )
            for folder in classes:
                if not any(f.suffix.lower() in IMAGE_SUFFIXES for f in folder.iterdir()):
                    raise _invalid("dataset.path", f"{folder}: the class folder holds no images")
            return
    sample = read_sample(path)
    if not sample.rows:
        raise _invalid("dataset.path", f"{path}: the dataset is empty")
    check_rows(spec, sample)
    labels = dataset.get("labels")
    label_column = dataset.get("label_column", "label")
    if labels and label_column in sample.columns:
        for number, row in enumerate(sample.rows, start=1):
            if str(row[label_column]) not in map(str, labels):
                raise _invalid(
                    "dataset.labels",
                    f"{path}, row {number}: label {row[label_column]!r} is not one of "
                    f"{', '.join(map(str, labels))}",
                )


def split_counts(path: Path, column: str | None = "split") -> dict[str, int] | None:
    """How many rows each split has, by the data's split column; None when it has none.
    Parquet reads only that column, so this is quick on a large version."""
    if not column:
        return None
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            if column not in pq.read_schema(path).names:
                return None
            rows = [{column: v} for v in pq.read_table(path, columns=[column])[column].to_pylist()]
        else:
            rows = read_rows(path)[1]
        names = split_names(rows, column, str(path))
    except (DataFileError, OSError, ValueError):
        return None  # the column check reports a bad split column with its row
    if names is None:
        return None
    return {name: names.count(name) for name in ("train", "validation", "test")}


def check_rows(spec: dict[str, Any], sample: DataSample) -> None:
    """The engine's column rule (engine/data_columns.py) on the first rows: the columns the
    recipe reads exist, none is named for two roles, no row leaves one empty, and a split
    column holds only train / validation / test."""
    source = str(spec.get("dataset", {}).get("path", ""))
    try:
        check_columns(sample.columns, sample.rows, spec_columns(spec), source)
        split_names(sample.rows, spec.get("dataset", {}).get("split_column", "split"), source)
    except ColumnError as error:
        raise UserError(str(error), f"Set {error.field} to one of the columns.") from None
    except DataFileError as error:
        raise _invalid("dataset.split_column", str(error)) from None


# -- model -----------------------------------------------------------------------------------


def check_model(spec: dict[str, Any]) -> None:
    model, recipe = spec.get("model", {}), spec.get("recipe", "")
    source = model.get("source")
    if source == "preset":
        name = model.get("name")
        if name not in PRESET_KINDS:
            known = ", ".join(PRESET_KINDS)
            raise _invalid("model.name", f"unknown preset {name!r}; presets: {known}")
        wanted = RECIPE_MODEL_KIND.get(recipe)
        if wanted and PRESET_KINDS[name] != wanted:
            raise _invalid(
                "model.name",
                f"preset {name!r} is a {PRESET_KINDS[name]} model; {recipe} needs a {wanted} model",
            )
    elif source == "local":
        folder = Path(model.get("path", ""))
        if not (folder / "config.json").is_file():
            raise _invalid(
                "model.path",
                f"{folder} is not a Hugging Face model folder (no config.json)",
                "Pick the folder that holds config.json and the weights.",
            )
        try:
            check_folder(folder)
        except ModelFileError as error:
            raise _invalid("model.path", str(error)) from None
        if not list(folder.glob("*.safetensors")):
            pickles = pickle_files(folder)
            detail = f" (only {', '.join(pickles)}, which are pickles)" if pickles else ""
            raise _invalid(
                "model.path",
                f"{folder} has no safetensors weights{detail}",
                "Convert the weights to safetensors; SparkTrainer never unpickles model files.",
            )


def model_shape(spec: dict[str, Any]) -> ModelShape | None:
    """Parameters, hidden size and layers, read without loading the weights."""
    model = spec.get("model", {})
    if model.get("source") == "preset":
        return PRESET_SHAPES.get(model.get("name", ""))
    if model.get("source") != "local":
        return None
    folder = Path(model.get("path", ""))
    try:
        config = read_config(folder)
        files = safetensors_files(folder)
    except ModelFileError:
        return None
    config = config.get("text_config", config)
    hidden = config.get("hidden_size") or config.get("n_embd") or config.get("d_model")
    layers = config.get("num_hidden_layers") or config.get("n_layer") or config.get("num_layers")
    parameters = sum(_safetensors_parameters(path) for path in files)
    if not (hidden and layers and parameters):
        return None
    return ModelShape(parameters=parameters, hidden_size=int(hidden), layers=int(layers))


def _safetensors_parameters(path: Path) -> int:
    """Element count from the file's JSON header (read by engine/model_files.py)."""
    try:
        header = safetensors_header(path)
    except ModelFileError:
        return 0
    total = 0
    for name, entry in header.items():
        if name == "__metadata__" or not isinstance(entry, dict):
            continue
        count = 1
        for size in entry.get("shape", []):
            count *= int(size)
        total += count
    return total

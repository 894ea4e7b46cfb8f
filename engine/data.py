"""Reading a dataset into rows, with errors that name the file, line and column."""

from __future__ import annotations

import random
from pathlib import Path

from engine.data_columns import check_column_values, spec_columns
from engine.data_files import DataFileError
from engine.data_table import RowTable, read_table
from engine.errors import DataError
from engine.spec import TrainingSpec


def load_table(path: str | Path) -> RowTable:
    """A data file or a folder of Parquet files, held by column (engine/data_table.py): read
    by the same rules as the importer and the pre-submit check (engine/data_files.py)."""
    source = Path(path)
    try:
        table = read_table(source)
    except DataFileError as error:
        raise DataError(f"dataset.path: {error}") from error
    if not len(table):
        raise DataError(f"{source}: the dataset is empty")
    return table


def require_columns(table: RowTable, columns: dict[str, str], source: str) -> None:
    """`columns` maps a spec field (dataset.text_column) to the column it names; the rule is
    the pre-submit check's (engine/data_columns.py)."""
    try:
        check_column_values(table.names, table.column, columns, source)
    except DataFileError as error:
        raise DataError(str(error)) from error


def spec_columns_of(spec: TrainingSpec) -> dict[str, str]:
    """The columns the spec's recipe reads (a column named for two roles is an error)."""
    try:
        return spec_columns(spec.to_dict())
    except DataFileError as error:
        raise DataError(str(error)) from error


def split_indices(count: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded train / validation split; validation gets at least one row when asked for."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    size = 0 if fraction <= 0 or count < 2 else max(1, round(count * fraction))
    return sorted(order[size:]), sorted(order[:size])

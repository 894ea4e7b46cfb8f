"""Parquet, with its sizes checked before they can exhaust memory.

A 4 KB Parquet file can declare millions of rows that all point at one long
dictionary string: read naively it expands to gigabytes and the machine swaps
for a minute before anything fails. Fixed-width columns are sized from the
footer before reading; text columns are read as dictionaries (as small as the
file) and sized before they are expanded. Spark's INT96 timestamps are read in
microseconds, so dates outside 1677–2262 do not overflow nanoseconds.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from app.datasets.read_result import ReadResult
from app.errors import UserError

MEMORY_SHARE = 0.5
"""The most of the machine's available memory one imported table may take."""


def memory_budget() -> int:
    import psutil

    return int(psutil.virtual_memory().available * MEMORY_SHARE)


def read_parquet(path: Path) -> ReadResult:
    import pyarrow.parquet as pq

    budget = memory_budget()
    try:
        footer = pq.ParquetFile(path)
        schema, rows = footer.schema_arrow, footer.metadata.num_rows
        fixed = {field.name: rows * _width(field.type) for field in schema}
        _refuse_if_too_big(path, fixed, budget)
        text = [field.name for field in schema if _is_text(field.type)]
        file = pq.ParquetFile(path, read_dictionary=text, coerce_int96_timestamp_unit="us")
        table = file.read()
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{path.name}: cannot be read as Parquet: {error}") from None
    sizes = {name: _expanded_bytes(table[name]) for name in table.column_names}
    _refuse_if_too_big(path, sizes, budget)
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            column = table.column(index).cast(field.type.value_type)
            table = table.set_column(index, field.name, column)
    return ReadResult(table)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _width(kind: pa.DataType) -> int:
    try:
        return max(kind.bit_width // 8, 1)
    except ValueError:  # not fixed-width: sized after reading
        return 0


def _expanded_bytes(column: pa.ChunkedArray) -> int:
    """Bytes once a dictionary column is expanded (offsets included); others as they are."""
    if not pa.types.is_dictionary(column.type):
        return int(column.nbytes)
    total = 0
    for chunk in column.chunks:
        lengths = pc.binary_length(chunk.dictionary)
        total += (pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0) + 8 * len(chunk)
    return total


def _refuse_if_too_big(path: Path, sizes: dict[str, int], budget: int) -> None:
    if sum(sizes.values()) <= budget:
        return
    largest = max(sizes, key=lambda name: sizes[name])
    raise UserError(
        f"{path.name}: column {largest!r} would take {sizes[largest] / 1024**3:.1f} GiB in "
        f"memory (the whole table {sum(sizes.values()) / 1024**3:.1f} GiB, from a "
        f"{path.stat().st_size:,}-byte file), more than the {budget / 1024**3:.1f} GiB this "
        "machine can spare; refused.",
        "Import a part of it (fewer rows or columns), or free memory and try again.",
    )

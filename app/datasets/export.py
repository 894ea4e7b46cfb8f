"""Writing a version as CSV, JSONL or Parquet, for any column type it can hold.

CSV has no nested values and no bytes: a list, struct or map cell is written as
its JSON text and a binary one as base64, rather than failing halfway. In CSV a
text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
leading ' unless `keep_formulas` (only the exported copy changes). The file is
written beside its destination and renamed into place: nothing half-written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from app.datasets.values import is_binary, is_nested, json_safe, python_values
from app.errors import UserError

BATCH_ROWS = 10_000


def write_export(table: pa.Table, destination: Path, fmt: str, *, keep_formulas: bool) -> None:
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        if fmt == "parquet":
            pq.write_table(table, partial)
        elif fmt == "csv":
            from pyarrow import csv

            flat = csv_ready(table)
            csv.write_csv(flat if keep_formulas else neutralise_formulas(flat), partial)
        elif fmt == "jsonl":
            with partial.open("w", encoding="utf-8") as out:
                for batch in table.to_batches(BATCH_ROWS):
                    columns = [python_values(column) for column in batch.columns]
                    for values in zip(*columns, strict=True):
                        row = dict(zip(batch.schema.names, values, strict=True))
                        out.write(json.dumps(row, ensure_ascii=False, default=json_safe) + "\n")
        else:
            raise UserError(f"Unknown export format {fmt!r}.", "Use csv, jsonl or parquet.")
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)


def csv_ready(table: pa.Table) -> pa.Table:
    """Every column as a type Arrow's CSV writer takes: nested values as JSON text, bytes
    as base64, whatever else it cannot write as its text."""
    columns = []
    for column in table.columns:
        if is_nested(column.type) or is_binary(column.type):
            texts = [
                None if value is None else _json_text(value) for value in python_values(column)
            ]
            columns.append(pa.array(texts, pa.string()))
        elif pa.types.is_timestamp(column.type):
            columns.append(pa.array(python_values(column)))
        else:
            columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _json_text(value: object) -> str:
    if isinstance(value, bytes):
        return json_safe(value)
    return json.dumps(value, ensure_ascii=False, default=json_safe)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Text cells that a spreadsheet would evaluate (OWASP's CSV injection list), with a
    leading apostrophe; a plain negative number such as -3.5 is left alone."""
    columns = []
    for column in table.columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            columns.append(column)
            continue
        risky = pc.or_(
            pc.match_substring_regex(column, r"^[=+@\t\r]"),
            pc.and_(
                pc.starts_with(column, "-"),
                pc.invert(
                    pc.match_substring_regex(column, r"^-[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$")
                ),
            ),
        )
        quoted = pc.binary_join_element_wise(pa.scalar("'", column.type), column, "")
        columns.append(pc.if_else(pc.fill_null(risky, False), quoted, column))
    return pa.Table.from_arrays(columns, names=table.column_names)

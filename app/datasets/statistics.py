"""Statistics of a table, computed with Arrow kernels (a million rows in about 0.1 s).

Stored with each version, so the statistics tab opens at once and never
recomputes what cannot change. Counting the distinct values of a column of a
million unique strings costs more than reading the file, so a large column is
first looked at through a fixed sample: with few distinct values it is counted
exactly, with many its distinct count is estimated and marked `estimated`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.datasets.values import python_values

TOP_VALUES = 10
HISTOGRAM_BINS = 20
LABEL_NAMES = ("label", "labels", "class", "category", "target", "y")
MAX_LABELS = 1_000
SAMPLE_ROWS = 100_000
"""Tables above twice this many rows have high-cardinality columns summarised from a sample."""
MANY_DISTINCT = 5_000
"""More distinct values than this in the sample makes the column high-cardinality."""


def _plain(value: Any) -> Any:
    """JSON for the version record: dates as ISO text, bytes as hex, decimals and
    durations as their text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value[:40].hex()
    if isinstance(value, Decimal | timedelta):
        return str(value)
    return value


def _scalar(scalar: pa.Scalar) -> Any:
    """A scalar as JSON; one Python cannot hold (a date past 9999) as ISO text."""
    return _plain(python_values(pa.array([scalar], type=scalar.type))[0])


def _sample_indices(rows: int) -> pa.Array | None:
    """A fixed random sample of row positions (without repeats) for tables too big to hash."""
    if rows <= SAMPLE_ROWS * 2:
        return None
    import numpy as np

    chosen = np.random.default_rng(0).choice(rows, SAMPLE_ROWS, replace=False)
    chosen.sort()  # reading in order is kinder to the caches
    return pa.array(chosen)


def _estimate_distinct(counts: pa.StructArray, rows: int, sampled: int) -> int:
    """Distinct values in the whole column from a sample without repeats (Haas et al.'s Duj1).

    n·d / (n − f1 + f1·n/N), with f1 the values seen once: a sample of all
    different values gives N, one with no singletons gives d. Good to a small
    factor in between, which is what "≈ 940,000 distinct" needs to say.
    """
    distinct = len(counts)
    singletons = pc.sum(pc.equal(counts.field("counts"), 1)).as_py() or 0
    denominator = sampled - singletons + singletons * sampled / rows
    return min(rows, round(sampled * distinct / denominator)) if denominator else rows


def column_summary(column: pa.ChunkedArray, sample: pa.Array | None = None) -> dict[str, Any]:
    """Type, nulls, min/max/mean (exact); distinct and top values, exact unless the
    column is large and has many distinct values, then estimated from `sample`."""
    kind = str(column.type)
    summary: dict[str, Any] = {
        "type": kind,
        "nulls": column.null_count,
    }
    if pa.types.is_nested(column.type) or pa.types.is_binary(column.type):
        return summary
    try:
        return _measure(column, summary, sample)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, ValueError, OverflowError):
        # No kernel for the type (float16, duration) or values Python cannot hold:
        # say so instead of failing the import.
        summary["not_computed"] = True
        return summary


def _measure(
    column: pa.ChunkedArray, summary: dict[str, Any], sample: pa.Array | None
) -> dict[str, Any]:
    numeric = (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_decimal(column.type)
    )
    if numeric or pa.types.is_temporal(column.type):
        bounds = pc.min_max(column)
        summary["min"], summary["max"] = _scalar(bounds["min"]), _scalar(bounds["max"])
        if numeric:
            summary["mean"] = _scalar(pc.mean(column))
    if sample is not None:
        part = pc.drop_null(column.take(sample))
        counts = pc.value_counts(part)
        if len(counts) > MANY_DISTINCT:
            summary["distinct"] = _estimate_distinct(counts, len(column), len(sample))
            summary["estimated"] = True
            if not numeric:
                summary["top"] = _top(counts, scale=len(column) / len(sample))
            return summary
    counts = pc.value_counts(column)  # one hash pass gives the distinct count and the top
    summary["distinct"] = len(counts) - (1 if column.null_count else 0)
    if not (numeric or pa.types.is_temporal(column.type)):
        summary["top"] = _top(counts)
    return summary


def _top(counts: pa.StructArray, scale: float = 1.0) -> list[list[Any]]:
    order = pc.select_k_unstable(
        pa.table({"counts": counts.field("counts")}), TOP_VALUES, [("counts", "descending")]
    )
    top = counts.take(order)
    values = python_values(top.field("values"))
    return [
        [_plain(value), round(count * scale)]
        for value, count in zip(values, top.field("counts").to_pylist(), strict=True)
        if value is not None
    ]


def label_column(table: pa.Table) -> str | None:
    for name in table.column_names:
        if name.lower() in LABEL_NAMES:
            return name
    return None


def text_column(table: pa.Table, sample: pa.Array | None = None) -> str | None:
    """The string column with the longest values on average: what the model reads."""
    best, best_length = None, 0.0
    for name in table.column_names:
        column = table[name] if sample is None else table[name].take(sample)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            length = pc.mean(pc.utf8_length(column)).as_py() or 0.0
            if length > best_length:
                best, best_length = name, length
    return best


def length_histogram(column: pa.ChunkedArray) -> dict[str, Any]:
    import numpy as np

    lengths = pc.utf8_length(column).to_numpy(zero_copy_only=False)
    lengths = lengths[~np.isnan(lengths)] if lengths.dtype.kind == "f" else lengths
    if lengths.size == 0:
        return {"edges": [], "counts": []}
    counts, edges = np.histogram(lengths, bins=HISTOGRAM_BINS)
    return {
        "edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        "min": int(lengths.min()),
        "max": int(lengths.max()),
        "mean": float(lengths.mean()),
    }


def compute(
    table: pa.Table, *, labels: str | None = None, text: str | None = None, kind: str = "table"
) -> dict:
    """`kind` "images": the string columns are file paths, whose lengths mean nothing."""
    sample = _sample_indices(table.num_rows)
    labels = labels or label_column(table)
    text = text or (None if kind == "images" else text_column(table, sample))
    stats: dict[str, Any] = {
        "rows": table.num_rows,
        "columns": {name: column_summary(table[name], sample) for name in table.column_names},
    }
    if labels and labels in table.column_names and not stats["columns"][labels].get("estimated"):
        try:
            counts = pc.value_counts(table[labels]).to_pylist()
        except (pa.ArrowException, ValueError, OverflowError):
            counts = [None] * (MAX_LABELS + 1)  # not a column of labels
        if len(counts) <= MAX_LABELS:
            counts.sort(key=lambda item: -item["counts"])
            stats["label_column"] = labels
            stats["labels"] = [[_plain(c["values"]), c["counts"]] for c in counts]
    if text and text in table.column_names:
        stats["text_column"] = text
        stats["text_lengths"] = length_histogram(table[text])
    if {"width", "height"} <= set(table.column_names):
        stats["images"] = {
            side: {
                "min": pc.min(table[side]).as_py(),
                "median": pc.approximate_median(table[side]).as_py(),
                "max": pc.max(table[side]).as_py(),
            }
            for side in ("width", "height")
        }
    return stats

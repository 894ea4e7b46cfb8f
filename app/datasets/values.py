"""Arrow values as plain Python, for every column type a Parquet file can bring.

`to_pylist` fails on some of them (a nanosecond timestamp that is not a whole
microsecond, a date beyond year 9999 from Spark's INT96), and JSON cannot hold
others (Decimal, bytes, timedelta). The preview, the statistics and the exports
go through here, so one rule decides how each is shown.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def python_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """The column's values; timestamps Python cannot hold become ISO text."""
    try:
        return column.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):
        pass
    if pa.types.is_timestamp(column.type):
        import numpy as np  # its datetime64 spans ±290,000 years; Arrow's strftime wraps

        valid = pc.is_valid(column).to_pylist()
        texts = np.datetime_as_string(column.to_numpy(zero_copy_only=False))
        return [str(text) if ok else None for text, ok in zip(texts, valid, strict=True)]
    return column.cast(pa.string()).to_pylist()


def json_safe(value: Any) -> Any:
    """For json.dumps's `default`: bytes as base64, exact decimals and durations as text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)  # Decimal and timedelta: their exact text


def is_nested(kind: pa.DataType) -> bool:
    return bool(pa.types.is_nested(kind))


def is_binary(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    )

"""Random access to the rows of a stored Parquet file, a row group at a time.

A preview of ten million rows must not read ten million rows: the file's
footer says where each row group starts, so showing row 9,000,000 reads the
one group that holds it. A few decoded groups stay cached for scrolling back
and forth; everything else stays on disk.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from app.datasets.values import python_values

CACHED_GROUPS = 4
"""Decoded row groups kept; with 65,536-row groups a page never spans more than two."""


class RowWindow:
    """Thread-safe: the GUI asks `cached()` without blocking, a worker calls `rows()`."""

    def __init__(self, path: Path, cached_groups: int = CACHED_GROUPS) -> None:
        self.path = Path(path)
        self._file = pq.ParquetFile(self.path)
        metadata = self._file.metadata
        self.num_rows = metadata.num_rows
        self.columns: list[str] = list(self._file.schema_arrow.names)
        self.types: list[pa.DataType] = list(self._file.schema_arrow.types)
        self._starts: list[int] = []
        start = 0
        for group in range(metadata.num_row_groups):
            self._starts.append(start)
            start += metadata.row_group(group).num_rows
        self._cache: OrderedDict[int, pa.Table] = OrderedDict()
        self._capacity = max(2, cached_groups)
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()

    def _groups(self, start: int, count: int) -> range:
        if count <= 0 or not self._starts:
            return range(0)
        first = bisect.bisect_right(self._starts, start) - 1
        last = bisect.bisect_right(self._starts, start + count - 1) - 1
        return range(max(first, 0), last + 1)

    def _clamp(self, start: int, count: int) -> tuple[int, int]:
        start = max(0, min(start, self.num_rows))
        return start, max(0, min(count, self.num_rows - start))

    def cached(self, start: int, count: int) -> list[list[Any]] | None:
        """The rows if every group they need is decoded already, else None (never reads)."""
        start, count = self._clamp(start, count)
        with self._lock:
            if not all(group in self._cache for group in self._groups(start, count)):
                return None
            return self._slice(start, count)

    def rows(self, start: int, count: int) -> list[list[Any]]:
        """Rows `start` to `start + count` as lists of Python values; reads what is missing."""
        start, count = self._clamp(start, count)
        for group in self._groups(start, count):
            with self._lock:
                if group in self._cache:
                    self._cache.move_to_end(group)
                    continue
            with self._read_lock:  # one reader: ParquetFile is not safe to share across threads
                table = self._file.read_row_group(group)
            with self._lock:
                self._cache[group] = table
                while len(self._cache) > self._capacity:
                    self._cache.popitem(last=False)
        with self._lock:
            return self._slice(start, count)

    def _slice(self, start: int, count: int) -> list[list[Any]]:
        """Called with the lock held and every needed group cached."""
        out: list[list[Any]] = []
        position = start
        end = start + count
        while position < end:
            group = bisect.bisect_right(self._starts, position) - 1
            table = self._cache[group]
            offset = position - self._starts[group]
            take = min(end - position, table.num_rows - offset)
            part = table.slice(offset, take)
            columns = [python_values(column) for column in part.columns]
            out.extend([list(values) for values in zip(*columns, strict=True)] if columns else [])
            position += take
        return out

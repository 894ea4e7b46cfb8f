"""Quality filters, splits and diffs on Arrow tables: pure functions, previewable.

Each returns the new table and how many rows it kept, so the pane can show
"keeps 9,812 of 10,000 rows" before anything is written.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.errors import UserError
from engine.data_files import SPLITS


@dataclass
class FilterOptions:
    drop_empty: bool = False
    """Rows where any of `columns` (default: all) is null or blank."""
    drop_duplicates: bool = False
    text_column: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    label_column: str | None = None
    keep_labels: list[str] | None = None
    drop_labels: list[str] = field(default_factory=list)
    columns: list[str] | None = None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, False, [])}


def _require(table: pa.Table, column: str | None, what: str) -> str:
    if not column or column not in table.column_names:
        raise UserError(
            f"{what}: no column {column!r}.", f"Columns: {', '.join(table.column_names)}."
        )
    return column


def apply_filters(table: pa.Table, options: FilterOptions) -> pa.Table:
    mask = pa.array([True] * table.num_rows) if table.num_rows else pa.array([], pa.bool_())
    if options.drop_empty:
        for name in options.columns or table.column_names:
            column = table[_require(table, name, "drop empty rows")]
            present = pc.is_valid(column)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                present = pc.and_(present, pc.invert(pc.equal(pc.utf8_trim_whitespace(column), "")))
            mask = pc.and_(mask, pc.fill_null(present, False))
    if options.min_length is not None or options.max_length is not None:
        lengths = pc.utf8_length(table[_require(table, options.text_column, "text length")])
        if options.min_length is not None:
            mask = pc.and_(mask, pc.fill_null(pc.greater_equal(lengths, options.min_length), False))
        if options.max_length is not None:
            mask = pc.and_(mask, pc.fill_null(pc.less_equal(lengths, options.max_length), False))
    if options.keep_labels is not None or options.drop_labels:
        labels = pc.cast(table[_require(table, options.label_column, "labels")], pa.string())
        if options.keep_labels is not None:
            mask = pc.and_(
                mask, pc.fill_null(pc.is_in(labels, pa.array(options.keep_labels)), False)
            )
        if options.drop_labels:
            dropped = pc.fill_null(pc.is_in(labels, pa.array(options.drop_labels)), False)
            mask = pc.and_(mask, pc.invert(dropped))
    result = table.filter(mask)
    if options.drop_duplicates:
        result = drop_duplicates(result, options.columns)
    return result


def row_hashes(table: pa.Table, columns: list[str] | None = None) -> list[int]:
    """A hash per row of the given columns (all by default)."""
    names = columns or table.column_names
    data = table.select(names).to_pylist()
    return [hash(tuple(repr(row[name]) for name in names)) for row in data]


def drop_duplicates(table: pa.Table, columns: list[str] | None = None) -> pa.Table:
    seen: set[int] = set()
    keep = []
    for index, value in enumerate(row_hashes(table, columns)):
        if value not in seen:
            seen.add(value)
            keep.append(index)
    return table.take(pa.array(keep, pa.int64()))


def split(
    table: pa.Table,
    fractions: dict[str, float],
    *,
    seed: int = 42,
    stratify: str | None = None,
    column: str = "split",
) -> pa.Table:
    """Adds (or replaces) a `split` column: train / validation / test, seeded, optionally
    stratified so each label keeps its share in every split."""
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise UserError(f"Unknown split {sorted(unknown)[0]!r}.", f"Splits: {', '.join(SPLITS)}.")
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-6 or any(f < 0 for f in fractions.values()):
        raise UserError(f"The split fractions add up to {total:g}, not 1.")
    rng = random.Random(seed)
    assignment: list[str] = [""] * table.num_rows
    if stratify:
        labels = table[_require(table, stratify, "stratify")].to_pylist()
        groups: dict[Any, list[int]] = {}
        for index, label in enumerate(labels):
            groups.setdefault(label, []).append(index)
    else:
        groups = {None: list(range(table.num_rows))}
    for _label, indices in sorted(groups.items(), key=lambda item: repr(item[0])):
        rng.shuffle(indices)
        start = 0
        names = [name for name in SPLITS if fractions.get(name)]
        for position, name in enumerate(names):
            end = (
                len(indices)
                if position == len(names) - 1
                else start + round(len(indices) * fractions[name])
            )
            for index in indices[start:end]:
                assignment[index] = name
            start = end
    if column in table.column_names:
        table = table.drop([column])
    return table.append_column(column, pa.array(assignment, pa.string()))


@dataclass(frozen=True)
class Diff:
    added: int
    removed: int
    changed: int
    """Rows at the same position whose values differ (only when the row count is equal)."""
    columns_added: list[str]
    columns_removed: list[str]
    columns_retyped: list[str]

    def summary(self, old: int, new: int) -> str:
        return (
            f"v{old} → v{new}: {self.added:,} rows added, {self.removed:,} removed, "
            f"{self.changed:,} changed in place"
        )

    def column_changes(self) -> list[tuple[str, list[str]]]:
        """("columns added", [...]) and the like, only those that happened."""
        return [
            (label, columns)
            for label, columns in (
                ("columns added", self.columns_added),
                ("columns removed", self.columns_removed),
                ("columns retyped", self.columns_retyped),
            )
            if columns
        ]


def diff(old: pa.Table, new: pa.Table) -> Diff:
    old_types = {f.name: str(f.type) for f in old.schema}
    new_types = {f.name: str(f.type) for f in new.schema}
    shared = [name for name in old.column_names if name in new_types]
    old_rows = row_hashes(old, shared) if shared else []
    new_rows = row_hashes(new, shared) if shared else []
    old_counts: dict[int, int] = {}
    for value in old_rows:
        old_counts[value] = old_counts.get(value, 0) + 1
    common = 0
    for value in new_rows:
        if old_counts.get(value, 0) > 0:
            old_counts[value] -= 1
            common += 1
    changed = 0
    if len(old_rows) == len(new_rows):
        changed = sum(1 for a, b in zip(old_rows, new_rows, strict=True) if a != b)
    return Diff(
        added=len(new_rows) - common,
        removed=len(old_rows) - common,
        changed=changed,
        columns_added=[n for n in new_types if n not in old_types],
        columns_removed=[n for n in old_types if n not in new_types],
        columns_retyped=[n for n in shared if old_types[n] != new_types[n]],
    )

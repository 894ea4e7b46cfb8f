"""How a version's Parquet file is written: the columns worth a dictionary."""

from __future__ import annotations

import pyarrow as pa

from app.datasets.version_files import DICTIONARY_SAMPLE, dictionary_columns


def test_a_large_table_with_an_all_null_column_is_written() -> None:
    """An image folder without class folders has a label column of nulls only; past the
    sample size Arrow has no distinct count for it (this refused 20,000-image imports)."""
    rows = DICTIONARY_SAMPLE * 3
    table = pa.table(
        {
            "image": pa.array([f"images/{i}.png" for i in range(rows)]),
            "label": pa.nulls(rows),
            "kind": pa.array(["a", "b"] * (rows // 2)),
        }
    )
    assert dictionary_columns(table) == ["kind"]

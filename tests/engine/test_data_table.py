"""The engine holds a dataset by column (Arrow) and gives back exactly the rows the file
holds; JSON that Arrow cannot hold exactly stays Python objects (issue: a data path that
scales). Real files, pyarrow, no mocks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.data_columns import ColumnError, check_column_values, check_columns
from engine.data_files import DataFileError, read_rows
from engine.data_table import CHUNK, RowTable, read_table
from engine.examples import Examples, FromTable, Listed


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _all(table: RowTable) -> list[dict]:
    return [row for chunk in table.chunks(7) for row in chunk]


def test_scalar_json_lines_become_arrow_and_come_back_as_written(tmp_path):
    rows = [{"text": f"row {i}", "n": i, "score": i / 3, "ok": i % 2 == 0} for i in range(50)]
    rows[3]["n"] = None
    table = read_table(_jsonl(tmp_path / "d.jsonl", rows))
    assert table.columnar and table.names == ["text", "n", "score", "ok"]
    assert _all(table) == rows
    assert table.take([9, 0, 9]) == [rows[9], rows[0], rows[9]]
    assert table.column("n")[:4] == [0, 1, 2, None]
    assert table.column("absent") == [None] * 50


def test_a_column_first_seen_in_a_later_chunk_is_kept(tmp_path):
    rows = [{"text": str(i)} for i in range(CHUNK + 10)]
    rows[-1]["split"] = "validation"
    table = read_table(_jsonl(tmp_path / "d.jsonl", rows))
    assert table.columnar and table.names == ["text", "split"]
    assert table.take([len(rows) - 1]) == [rows[-1]]
    assert table.take([0]) == [{"text": "0", "split": None}]
    # One chunk per column: a batch's rows taken from many chunks cost 250× more.
    assert all(column.num_chunks == 1 for column in table._table.columns)


@pytest.mark.parametrize(
    "values",
    [
        [{"role": "user", "content": "hi"}, {"role": "user", "content": "hi", "name": "x"}],
        [1, "1"],  # Arrow would need one type: 1 must not turn into "1" or 1.0
        [1, 2.5],
        [True, 1],
        [2**70, 1],  # past int64
    ],
)
def test_json_arrow_cannot_hold_exactly_stays_python(tmp_path, values):
    rows = [{"text": f"row {i}", "value": v} for i, v in enumerate(values)]
    # The awkward value may come only after a chunk was already made into Arrow.
    rows = [{"text": "first", "value": None}] * (CHUNK + 1) + rows
    table = read_table(_jsonl(tmp_path / "d.jsonl", rows))
    assert not table.columnar
    got = _all(table)
    assert got == rows
    assert [type(row["value"]) for row in got] == [type(row["value"]) for row in rows]


def test_csv_parquet_and_a_parquet_folder_are_arrow(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("text;label\nbon;1\nmauvais;0\n", encoding="latin-1")
    assert read_table(csv).columnar
    assert read_table(csv).take([1]) == read_rows(csv)[1][1:]
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.table({"text": ["a", "b"], "label": [0, 1]}), folder / "0.parquet")
    pq.write_table(pa.table({"text": ["c"], "label": [1]}), folder / "1.parquet")
    table = read_table(folder)
    assert table.columnar and _all(table) == read_rows(folder)[1]
    # Parts that disagree on a column's type are still read, row by row.
    pq.write_table(pa.table({"text": ["d"], "label": ["one"]}), folder / "2.parquet")
    table = read_table(folder)
    assert not table.columnar and _all(table) == read_rows(folder)[1]


def test_read_errors_name_the_file_and_line(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(DataFileError, match=r"broken\.jsonl, line 2: expected an object"):
        read_table(broken)
    with pytest.raises(DataFileError, match="does not exist"):
        read_table(tmp_path / "missing.csv")
    notes = tmp_path / "notes.txt"
    notes.write_text("text\n")
    with pytest.raises(DataFileError, match="unsupported data file type"):
        read_table(notes)


def test_empty_cells_are_found_by_column_as_by_row(tmp_path):
    rng = np.random.default_rng(3)
    for _ in range(20):
        rows = [
            {"prompt": rng.choice(["x", "", None], p=[0.9, 0.05, 0.05]), "response": "y"}
            for _ in range(30)
        ]
        for row in rows:
            if rng.random() < 0.05:
                row["response"] = ""
        wanted = {"dataset.prompt_column": "prompt", "dataset.response_column": "response"}
        table = RowTable(rows=rows)
        by_row = by_column = None
        try:
            check_columns(["prompt", "response"], rows, wanted, "d")
        except ColumnError as error:
            by_row = (error.field, str(error))
        try:
            check_column_values(table.names, table.column, wanted, "d")
        except ColumnError as error:
            by_column = (error.field, str(error))
        assert by_row == by_column


def test_examples_are_made_when_asked_with_their_labels_and_tokens(tmp_path):
    table = read_table(_jsonl(tmp_path / "d.jsonl", [{"text": str(i)} for i in range(10)]))
    source = FromTable(table, np.arange(10) % 3)
    source.encoded[4] = {"input_ids": [1, 2]}
    split = Examples(source, np.array([4, 7, 1, 0], dtype=np.int64))
    assert len(split) == 4 and split[0] == {
        "index": 4,
        "row": {"text": "4"},
        "label": 1,
        "input_ids": [1, 2],
    }
    assert [e["index"] for e in split.take([3, 1])] == [0, 7]
    assert [e["index"] for e in split[1:3]] == [7, 1]
    assert split.labels().tolist() == [1, 1, 1, 0]
    listed = Examples.of([{"path": "a", "label": 2}, {"path": "b", "label": 0}])
    assert listed.labels().tolist() == [2, 0] and list(listed[1:]) == [{"path": "b", "label": 0}]
    assert isinstance(listed.make, Listed)

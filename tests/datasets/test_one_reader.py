"""A file the importer reads is read the same way by the pre-submit check and the engine:
a latin-1, semicolon-separated CSV with a UTF-8 BOM variant, and a UTF-16 JSONL."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.jobs.validation import check_dataset, read_sample
from engine.data import load_table
from engine.data_files import DataFileError, read_rows
from engine.errors import DataError


def _latin1_semicolons(path: Path) -> Path:
    text = "text;label\n" + "".join(f"café n°{i} très bon;{i % 2}\n" for i in range(30))
    path.write_bytes(text.encode("latin-1"))
    return path


def test_a_latin1_semicolon_csv_reads_alike_everywhere(core, tmp_path):
    source = _latin1_semicolons(tmp_path / "reviews.csv")
    imported = core.datasets.import_path(source, "reviews")
    stored = core.datasets.read(imported).to_pylist()
    sample = read_sample(source, 5)
    engine_rows = [row for chunk in load_table(source).chunks() for row in chunk]
    assert sample.columns == ["text", "label"]
    assert [r["text"] for r in engine_rows] == [r["text"] for r in stored]
    assert sample.rows[0]["text"] == "café n°0 très bon" == engine_rows[0]["text"]
    spec = {
        "recipe": "text_classification",
        "dataset": {"path": str(source), "text_column": "text", "label_column": "label"},
    }
    check_dataset(spec)  # the check that failed it before: it passes, as training will


def test_utf16_jsonl_and_bom_csv(tmp_path):
    jsonl = tmp_path / "chat.jsonl"
    jsonl.write_text('{"prompt": "ça va?", "response": "oui"}\n', encoding="utf-16")
    assert read_rows(jsonl) == (["prompt", "response"], [{"prompt": "ça va?", "response": "oui"}])
    assert load_table(jsonl).take([0]) == [{"prompt": "ça va?", "response": "oui"}]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("text,label\nhé,1\n".encode("utf-8-sig"))
    assert read_rows(bom)[0] == ["text", "label"]  # the BOM is not part of the first name


def test_errors_name_the_file_and_line(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(DataFileError, match=r"broken\.jsonl, line 2"):
        read_rows(broken)
    assert read_rows(broken, limit=1)[1] == [{"a": 1}]  # only the rows asked for are read
    with pytest.raises(DataError, match=r"broken\.jsonl, line 2"):
        load_table(broken)

"""Issue #16: files people really have import exactly, or are refused naming the place;
never silently wrong, never a traceback. Each import that succeeds is also exported as
JSONL and compared with the reference reading of the source (a round trip)."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from app.datasets.store import DatasetStore
from app.db.database import Database
from app.errors import UserError
from tests.datasets.corpus import CASES, Case


@pytest.fixture
def store(paths) -> DatasetStore:
    paths.ensure()
    return DatasetStore(Database(paths.database), paths.datasets)


def _exported(store: DatasetStore, name: str, tmp_path: Path) -> list[dict[str, Any]]:
    target = store.export(name, tmp_path / f"{name}.jsonl", "jsonl")
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]


def _same(value: Any, expected: Any) -> bool:
    """A CSV's reference reading is text: an imported 3 matches "3", null matches ""."""
    if isinstance(expected, str) and not isinstance(value, str):
        return ("" if value is None else str(value)) == expected
    return bool(value == expected)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_case_imports_exactly_or_is_refused_naming_the_place(
    store: DatasetStore, tmp_path: Path, case: Case
) -> None:
    source = tmp_path / case.name
    case.make(source)
    if case.rows is None:
        with pytest.raises(UserError) as refused:
            store.import_path(source, **case.options)
        for text in case.refused:
            assert text in str(refused.value), str(refused.value)
        assert store.datasets() == [] and list(store.root.iterdir()) == []
        return
    version = store.import_path(source, **case.options)
    notes = " ".join(version.notes)
    for text in case.notes:
        assert text in notes, notes
    rows = _exported(store, version.dataset_name, tmp_path)
    assert len(rows) == len(case.rows)
    for number, (row, expected) in enumerate(zip(rows, case.rows, strict=True), start=1):
        assert list(row) == list(expected), f"row {number}: columns {list(row)}"
        for column, value in expected.items():
            assert _same(row[column], value), f"row {number}, {column}: {row[column]!r}"


def test_parquet_of_every_arrow_type_imports_with_statistics_marked(
    store: DatasetStore, tmp_path: Path
) -> None:
    """Decimal, duration, float16, nested, map and INT96 timestamps outside 1677–2262
    (as Spark writes them): imported, statistics computed or marked, shown as text."""
    import numpy as np

    from app.datasets.row_window import RowWindow

    table = pa.table(
        {
            "price": pa.array(
                [decimal.Decimal("1.25"), decimal.Decimal("99.99")], pa.decimal128(6, 2)
            ),
            "wait": pa.array([5, 3600], pa.duration("s")),
            "half": pa.array(np.array([0.5, 1.5], np.float16)),
            "tags": pa.array([["a", "b"], []]),
            "attrs": pa.array([[("k", "v")], []], pa.map_(pa.string(), pa.string())),
            "when": pa.array(
                [datetime.datetime(1500, 1, 1), datetime.datetime(3000, 1, 1)], pa.timestamp("us")
            ),
        }
    )
    source = tmp_path / "types.parquet"
    pq.write_table(table, source, use_deprecated_int96_timestamps=True)
    version = store.import_path(source)
    columns = version.stats["columns"]
    assert columns["price"]["min"] == "1.25" and columns["price"]["max"] == "99.99"
    assert columns["half"]["not_computed"] and columns["wait"]["not_computed"]
    assert columns["when"]["max"] == "3000-01-01T00:00:00"  # past 2262: not as nanoseconds
    preview = RowWindow(version.data_file).rows(0, 2)
    assert preview[0][0] == decimal.Decimal("1.25")
    assert preview[1][5] == datetime.datetime(3000, 1, 1)
    rows = _exported(store, version.dataset_name, tmp_path)
    assert rows[0]["price"] == "1.25" and rows[0]["tags"] == ["a", "b"]
    assert rows[0]["attrs"] == [["k", "v"]] and rows[1]["wait"] == "1:00:00"
    csv_file = store.export(version.dataset_name, tmp_path / "types.csv", "csv")
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert '"[""a"", ""b""]"' in lines[1]  # a list as its JSON text, in one cell


def test_a_tiny_parquet_that_expands_beyond_memory_is_refused_before_reading(
    store: DatasetStore, tmp_path: Path
) -> None:
    """A few KB of dictionary-encoded rows that all point at one long string: refused
    from the dictionary's size, naming the column, without expanding it."""
    import numpy as np
    import psutil

    available = psutil.virtual_memory().available
    value = "x" * (1 << 20)
    rows = int(available // len(value)) + 1  # expanded: more than all available memory
    indices = pa.array(np.zeros(rows, np.int32))
    column = pa.DictionaryArray.from_arrays(indices, pa.array([value]))
    source = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"s": column}), source, compression="zstd", store_schema=False)
    assert source.stat().st_size < 1 << 20
    before = psutil.Process().memory_info().rss
    with pytest.raises(UserError) as refused:
        store.import_path(source)
    assert "bomb.parquet: column 's' would take" in str(refused.value)
    assert psutil.Process().memory_info().rss - before < 2 * 1024**3


def _png(path: Path, size: tuple[int, int] = (8, 8)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 200, 30)).save(path, format="PNG")
    return path


def _png_header(width: int, height: int) -> bytes:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_unusable_images_and_other_files_are_skipped_and_named(
    store: DatasetStore, tmp_path: Path
) -> None:
    folder = tmp_path / "pics"
    _png(folder / "cat" / "1.png")
    _png(folder / "dog" / "2.png")
    (folder / "dog" / "bomb.png").write_bytes(_png_header(20_000, 20_000))
    (folder / "dog" / "notes.txt").write_text("not an image")
    _png(folder / "cat" / b"caf\xe9.png".decode("utf-8", "surrogateescape"))
    version = store.import_path(folder)
    assert version.rows == 2
    notes = " ".join(version.notes)
    assert "Skipped 2 image(s)" in notes and "bomb.png" in notes and "decompression bomb" in notes
    assert "caf\\xe9.png" in notes and "not valid UTF-8" in notes
    assert "1 file(s) that are not images: dog/notes.txt" in notes
    with pytest.raises(UserError) as refused:
        store.import_path(folder, strict_images=True)
    assert "refused" in str(refused.value)


def _patched_zip(path: Path, offset_in_central: int, value: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("ok.csv", "a\n1\n")
        bundle.writestr("secret.csv", "a\n2\n")
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")  # the last member's central directory entry
    struct.pack_into("<H", data, central + offset_in_central, value)
    path.write_bytes(bytes(data))


def test_encrypted_and_unreadable_zip_members_are_refused_by_name(
    store: DatasetStore, tmp_path: Path
) -> None:
    encrypted = tmp_path / "locked.zip"
    _patched_zip(encrypted, 8, 0x1)  # general purpose flag: encrypted
    with pytest.raises(UserError, match=r"locked.zip: member 'secret.csv' is encrypted"):
        store.import_path(encrypted)
    deflate64 = tmp_path / "deflate64.zip"
    _patched_zip(deflate64, 10, 9)  # compression method 9: Deflate64
    with pytest.raises(UserError, match=r"member 'secret.csv' is compressed with Deflate64"):
        store.import_path(deflate64)
    assert store.datasets() == [] and list(store.root.iterdir()) == []


def test_binary_values_export_as_base64(store: DatasetStore, tmp_path: Path) -> None:
    source = tmp_path / "blobs.parquet"
    pq.write_table(pa.table({"id": [1], "blob": pa.array([b"\x00\xff"], pa.binary())}), source)
    version = store.import_path(source)
    (row,) = _exported(store, version.dataset_name, tmp_path)
    assert base64.b64decode(row["blob"]) == b"\x00\xff"
    csv_file = store.export(version.dataset_name, tmp_path / "blobs.csv", "csv")
    assert csv_file.read_text().splitlines()[1] == '1,"AP8="'


def test_values_python_cannot_hold_are_shown_as_text() -> None:
    """A nanosecond timestamp past 2262 or a year past 9999: ISO text, not a traceback."""
    from app.datasets.statistics import column_summary
    from app.datasets.values import python_values

    far = pa.array([2**62, 0], pa.timestamp("ns"))
    assert python_values(far)[0].startswith("2116-02-20T23:53:38")
    huge = pa.chunked_array([pa.array([2**62, 0], pa.timestamp("us"))])
    summary = column_summary(huge)
    assert summary["max"].startswith("148108-") and summary["min"].startswith("1970-01-01")

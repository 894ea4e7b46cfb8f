"""Imports into the dataset store: every format, and broken files that must leave nothing."""

from __future__ import annotations

import codecs
import io
import json
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from app.datasets.store import DatasetStore
from app.db.database import Database
from app.errors import TaskCancelled, UserError
from app.tasks import TaskState
from tests.conftest import run_main


@pytest.fixture
def store(paths) -> DatasetStore:
    paths.ensure()
    return DatasetStore(Database(paths.database), paths.datasets)


def _nothing_left(store: DatasetStore) -> None:
    assert store.datasets() == []
    assert list(store.root.iterdir()) == []


def _image(path: Path, size=(8, 6), fmt="PNG", orientation: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (200, 30, 30))
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(path, format=fmt, exif=exif)
    else:
        image.save(path, format=fmt)
    return path


# -- formats that import -----------------------------------------------------------------------


def test_csv_with_bom_quoted_newlines_and_sniffed_delimiter(store, tmp_path):
    source = tmp_path / "reviews.csv"
    source.write_bytes(codecs.BOM_UTF8 + b'text;label\n"two\nlines";pos\nplain;neg\n')
    version = store.import_path(source)
    assert (version.dataset_name, version.number, version.rows) == ("reviews", 1, 2)
    assert store.read(version).to_pylist()[0] == {"text": "two\nlines", "label": "pos"}
    assert any("';'" in note for note in version.notes)
    assert version.stats["labels"] == [["pos", 1], ["neg", 1]] or version.stats["labels"] == [
        ["neg", 1],
        ["pos", 1],
    ]
    assert len(version.sha256) == 64 and version.data_file.exists()


def test_utf16_tsv_and_a_reported_legacy_encoding(store, tmp_path):
    tsv = tmp_path / "words.tsv"
    tsv.write_bytes("word\tcount\ncafé\t3\n".encode("utf-16"))
    assert store.read(store.import_path(tsv)).to_pylist() == [{"word": "café", "count": 3}]
    latin = tmp_path / "old.csv"
    latin.write_bytes("word,count\ncafé,3\n".encode("latin-1"))
    version = store.import_path(latin)
    assert store.read(version).to_pylist() == [{"word": "café", "count": 3}]
    assert any("old.csv is not UTF-8: it was read as cp1252" in note for note in version.notes)


def test_quoted_line_breaks_across_read_blocks_are_read_whole(store, tmp_path):
    # Arrow reads 1 MiB blocks; values with line breaks straddle many boundaries.
    import csv

    source = tmp_path / "notes.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "note"])
        for i in range(60_000):
            writer.writerow([i, f"first line {i}\nsecond line, with a comma\n\nfourth"])
    assert source.stat().st_size > 3 << 20
    table = store.read(store.import_path(source))
    assert table.num_rows == 60_000
    assert table["note"][59_999].as_py() == "first line 59999\nsecond line, with a comma\n\nfourth"
    assert table["id"].to_pylist() == list(range(60_000))


def test_a_non_utf8_byte_far_into_a_csv_is_decoded_on_its_own_line(store, tmp_path):
    # Only the head is checked before Arrow reads; Arrow's own check catches the rest.
    source = tmp_path / "late.csv"
    good = "".join(f"row {i},{i}\n" for i in range(200_000)).encode()
    assert len(good) > 1 << 20
    source.write_bytes(b"word,count\n" + good + "naïve,1\n".encode("latin-1"))
    version = store.import_path(source)
    table = store.read(version)
    assert table.schema.field("word").type == pa.string()
    assert table["word"][-1].as_py() == "naïve"
    assert any("late.csv is not UTF-8" in note for note in version.notes)


def test_statistics_of_a_large_table_count_few_values_exactly_and_estimate_many(store, tmp_path):
    rows = 400_000
    source = tmp_path / "big.parquet"
    pq.write_table(
        pa.table(
            {
                "text": [f"sentence number {i}" for i in range(rows)],
                "label": [["a", "b", "c", "d"][i % 4] for i in range(rows)],
                "n": list(range(rows)),
            }
        ),
        source,
    )
    version = store.import_path(source)
    columns = version.stats["columns"]
    assert columns["label"]["distinct"] == 4 and "estimated" not in columns["label"]
    assert columns["label"]["top"][0][1] == rows // 4
    assert version.stats["labels"] == [
        ["a", 100_000],
        ["b", 100_000],
        ["c", 100_000],
        ["d", 100_000],
    ]
    for name in ("text", "n"):
        assert columns[name]["estimated"] is True
        assert rows / 2 < columns[name]["distinct"] <= rows  # unique: GEE is within a factor
    assert (columns["n"]["min"], columns["n"]["max"]) == (0, rows - 1)  # bounds stay exact
    # The checksum taken while writing is the one a fresh read of the folder gives.
    from app.datasets.version_files import folder_checksum

    assert folder_checksum(version.path) == (version.sha256, version.bytes)


def test_json_array_json_columns_jsonl_parquet_and_text(store, tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"x": 1}, {"x": 2}]))
    (tmp_path / "c.json").write_text(json.dumps({"x": [1, 2, 3], "y": ["a", "b", "c"]}))
    (tmp_path / "l.jsonl").write_text('{"x": 1}\n\n{"x": 2}\n')
    pq.write_table(pa.table({"x": [1, 2, 3, 4]}), tmp_path / "p.parquet")
    (tmp_path / "t.txt").write_text("first line\n\nsecond line\n")
    rows = {
        name: store.import_path(tmp_path / name).rows
        for name in ("a.json", "c.json", "l.jsonl", "p.parquet", "t.txt")
    }
    assert rows == {"a.json": 2, "c.json": 3, "l.jsonl": 2, "p.parquet": 4, "t.txt": 2}
    assert [d.name for d in store.datasets()] == ["a", "c", "l", "p", "t"]
    again = store.import_path(tmp_path / "a.json")
    assert again.dataset_name == "a (2)"


def test_image_folder_labels_from_subfolders_and_exif_rotation(store, tmp_path):
    folder = tmp_path / "pets"
    _image(folder / "cat" / "1.png")
    _image(folder / "cat" / "2.jpg", size=(8, 6), fmt="JPEG", orientation=6)  # rotated 90°
    _image(folder / "dog" / "1.webp", fmt="WEBP")
    _image(folder / "dog" / "2.bmp", fmt="BMP")
    version = store.import_path(folder)
    assert version.kind == "images" and version.rows == 4
    rows = {r["image"]: r for r in store.read(version).to_pylist()}
    assert rows["images/cat/2.jpg"]["width"] == 6 and rows["images/cat/2.jpg"]["height"] == 8
    assert {r["label"] for r in rows.values()} == {"cat", "dog"}
    assert all((version.path / image).exists() for image in rows)
    assert version.stats["images"]["width"]["max"] == 8
    assert "text_lengths" not in version.stats  # file paths: their lengths mean nothing
    assert any("rotated" in note for note in version.notes)


def test_zip_of_a_csv_and_tar_of_an_image_folder(store, tmp_path):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("inner/data.csv", "a,b\n1,2\n3,4\n")
    assert store.import_path(archive).rows == 2
    folder = tmp_path / "shapes"
    _image(folder / "red" / "1.png")
    _image(folder / "blue" / "1.png")
    tar_path = tmp_path / "shapes.tar.gz"
    with tarfile.open(tar_path, "w:gz") as bundle:
        bundle.add(folder, arcname="shapes")
    version = store.import_path(tar_path)
    assert version.kind == "images" and version.rows == 2 and version.dataset_name == "shapes"


def test_a_cancelled_import_leaves_nothing(store, tmp_path):
    source = tmp_path / "big.csv"
    source.write_text("a,b\n" + "1,2\n" * 200_000)
    state = TaskState()
    state.cancel()
    with pytest.raises(TaskCancelled):
        store.import_path(source, state=state)
    _nothing_left(store)


# -- broken input ------------------------------------------------------------------------------


def _refused(store: DatasetStore, path: Path, *patterns: str, **options) -> str:
    with pytest.raises(UserError) as caught:
        store.import_path(path, **options)
    message = str(caught.value)
    for pattern in patterns:
        assert pattern in message, message
    _nothing_left(store)
    return message


def test_broken_tabular_files_are_named_with_their_line(store, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    _refused(store, empty, "empty.csv is empty")
    truncated = tmp_path / "cut.json"
    truncated.write_text('[{"a": 1},\n {"a": 2')
    _refused(store, truncated, "cut.json, line 2", "not valid JSON")
    jsonl = tmp_path / "lines.jsonl"
    jsonl.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n[4]\n')
    _refused(store, jsonl, "lines.jsonl, line 2", "not valid JSON", "skip bad lines")
    version = store.import_path(jsonl, skip_bad_lines=True)
    assert version.rows == 2 and "skipped 2 bad line(s): 2, 4" in version.notes[0]
    store.delete(version.dataset_name)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    _refused(store, ragged, "ragged.csv, line 3", "expected 2 fields", "found 3")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    _refused(store, garbage, "garbage.csv", "binary, not CSV")
    fake = tmp_path / "fake.parquet"
    fake.write_text("a,b\n1,2\n")
    _refused(store, fake, "fake.parquet", "not a Parquet file")


def test_corrupt_and_zero_byte_images_are_named(store, tmp_path):
    folder = tmp_path / "pics"
    _image(folder / "ok" / "1.png")
    (folder / "ok" / "zero.png").write_bytes(b"")
    good = _image(tmp_path / "x.png", size=(64, 64)).read_bytes()
    (folder / "ok" / "cut.png").write_bytes(good[: len(good) // 2])
    (folder / "ok" / "gif.png").write_bytes(b"GIF89a not a png at all")
    version = store.import_path(folder)
    assert version.rows == 1
    (skipped,) = [note for note in version.notes if note.startswith("Skipped")]
    assert "ok/zero.png (the file is empty (0 bytes))" in skipped
    assert "ok/cut.png (the image is damaged or unreadable" in skipped
    assert "ok/gif.png (the content is not a png image (unknown data))" in skipped
    for name in ("zero.png", "cut.png", "gif.png"):
        assert not (version.path / "images" / "ok" / name).exists()
    store.delete(version.dataset_name)
    _refused(store, folder, "ok/cut.png", "damaged or unreadable", "refused", strict_images=True)


def test_zip_slip_absolute_paths_bombs_and_links_are_refused(store, tmp_path):
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as bundle:
        bundle.writestr("../../evil.csv", "a\n1\n")
    _refused(store, slip, "slip.zip", "'../../evil.csv'", "outside")
    assert not (store.root.parent / "evil.csv").exists()
    absolute = tmp_path / "abs.tar"
    with tarfile.open(absolute, "w") as bundle:
        data = b"a\n1\n"
        info = tarfile.TarInfo("/tmp/evil.csv")
        info.size = len(data)
        bundle.addfile(info, io.BytesIO(data))
    _refused(store, absolute, "abs.tar", "absolute path")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("zeros.csv", b"0" * (300 * 1024 * 1024))
    _refused(store, bomb, "bomb.zip", "zip bomb")
    linked = tmp_path / "link.tar"
    with tarfile.open(linked, "w") as bundle:
        info = tarfile.TarInfo("data.csv")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        bundle.addfile(info)
    _refused(store, linked, "link.tar", "'data.csv' is a link", "/etc/passwd")
    zipped_link = tmp_path / "link.zip"
    with zipfile.ZipFile(zipped_link, "w") as bundle:
        info = zipfile.ZipInfo("data.csv")
        info.external_attr = 0o120777 << 16  # a symlink
        bundle.writestr(info, "/etc/passwd")
    _refused(store, zipped_link, "link.zip", "symbolic link")
    renamed = tmp_path / "notzip.zip"
    renamed.write_text("hello")
    _refused(store, renamed, "notzip.zip", "not a zip")


def _owned_scratch(store: DatasetStore) -> tuple[subprocess.Popen, Path]:
    """A real process that makes a scratch folder the way an import does, and waits."""
    from tests.conftest import ROOT

    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from app.datasets.scratch import make_scratch;"
            f"print(make_scratch(Path({str(store.root)!r})), flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert owner.stdout is not None
    return owner, Path(owner.stdout.readline().strip())


def test_a_crash_mid_import_is_cleaned_up_at_the_next_start(store, tmp_path):
    """Issue #17, item 3: only folders whose importing process is gone are removed; another
    process's import in progress survives every other `dataset` command's start-up."""
    owner, folder = _owned_scratch(store)
    try:
        (folder / "v1").mkdir()
        (folder / "v1" / "data.parquet").write_bytes(b"partial")
        assert store.remove_partial() == 0 and folder.exists()
        listed = run_main("dataset", "list")  # a whole other command, as in the report
        assert listed.returncode == 0, listed.stderr
        assert folder.exists()
    finally:
        assert owner.stdin is not None
        owner.stdin.close()
        owner.wait(timeout=60)
    assert store.remove_partial() == 1  # its owner ended without finishing: a crash
    unclaimed = store.root / ".tmp-unclaimed"
    unclaimed.mkdir()
    assert store.remove_partial() == 0  # may be one being made this instant
    os.utime(unclaimed, (time.time() - 3600, time.time() - 3600))
    assert store.remove_partial() == 1
    _nothing_left(store)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares a size and holds no pixels: all a decompression bomb needs."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_hostile_archives_and_images_end_in_a_message_not_a_crash(store, tmp_path):
    """Issue #15, item 10: each is refused in one line naming the file or member."""
    bomb = tmp_path / "bomb"
    _image(bomb / "a" / "1.png")
    (bomb / "b").mkdir()
    (bomb / "b" / "huge.png").write_bytes(_png_header(20_000, 20_000))
    _refused(store, bomb, "huge.png", "decompression bomb", strict_images=True)

    clash = tmp_path / "clash.zip"
    with zipfile.ZipFile(clash, "w") as bundle:
        bundle.writestr("data/a", "a file first")
        bundle.writestr("data/a/b.csv", "x\n1\n")
    _refused(store, clash, "clash.zip", "'data/a/b.csv' needs a folder")

    many = tmp_path / "many.tar.gz"
    with tarfile.open(many, "w:gz") as bundle:
        for index in range(60_000):
            bundle.addfile(tarfile.TarInfo(f"e/{index}"), io.BytesIO(b""))
    assert many.stat().st_size < 60_000 * 16  # a few bytes per empty member
    started = time.monotonic()
    _refused(store, many, "many.tar.gz", "members for a")
    assert time.monotonic() - started < 30  # refused while reading its index


@pytest.fixture
def small_disk(small_filesystem):
    return small_filesystem("4m")


def test_an_import_that_does_not_fit_on_the_disk_says_so_and_leaves_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    """Issue #17, item 7: one message, not a traceback; no temporary folder left."""
    import random

    rng = random.Random(3)
    source = tmp_path / "big.csv"
    with source.open("w") as out:
        out.write("text,n\n")
        for i in range(120_000):
            out.write(f"{rng.getrandbits(128):x} {rng.random()},{i}\n")
    home = small_disk / "home"
    result = run_main("dataset", "import", str(source), env={"SPARKTRAINER_HOME": str(home)})
    assert result.returncode == 1
    assert "Not enough disk space for the import of big.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in (home / "datasets").iterdir()] == []
    listed = run_main("dataset", "list", env={"SPARKTRAINER_HOME": str(home)})
    assert listed.returncode == 0 and "big" not in listed.stdout

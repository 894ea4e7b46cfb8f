"""Writing a version's files: Parquet checksummed as it is written, the dictionary
encoding chosen by the data, and images shared between versions by hard links."""

from __future__ import annotations

import hashlib
import io
import queue
import shutil
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from app.datasets.importer import ROW_GROUP_ROWS

HASH_CHUNK = 1 << 22
DICTIONARY_SAMPLE = 10_000


def folder_checksum(folder: Path) -> tuple[str, int]:
    """SHA-256 over every file's relative path and content, in a fixed order; total bytes."""
    digest, total = hashlib.sha256(), 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
                total += len(chunk)
    return digest.hexdigest(), total


class _HashingFile(io.RawIOBase):
    """Writes through to a file while a second thread hashes what passed.

    Hashing inline would add its time to the write; Arrow hands over each
    buffer only for the call, so the hasher gets a copy (a memcpy is ten times
    cheaper than SHA-256).
    """

    def __init__(self, path: Path, digest: Any) -> None:
        self._file = path.open("wb")
        self.digest = digest
        self.size = 0
        self._chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._hasher = threading.Thread(target=self._hash, name="sha256", daemon=True)
        self._hasher.start()

    def _hash(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self.digest.update(chunk)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.put(chunk)
        self.size += len(chunk)
        return self._file.write(chunk)

    def close(self) -> None:
        if not self.closed:
            self._chunks.put(None)
            self._hasher.join()
            self._file.close()
        super().close()


def dictionary_columns(table: pa.Table) -> list[str]:
    """Columns worth dictionary-encoding: those that repeat their values.

    Arrow tries a dictionary for every column and gives up only after filling
    a page, which for a column of unique text costs a fifth of the write; a
    sample of rows says which columns repeat.
    """
    if table.num_rows <= DICTIONARY_SAMPLE:
        return table.column_names
    import numpy as np

    rows = pa.array(np.random.default_rng(0).integers(0, table.num_rows, DICTIONARY_SAMPLE))
    chosen = []
    for name in table.column_names:
        column = table[name]
        if pa.types.is_nested(column.type) or pa.types.is_null(column.type):
            continue  # Arrow counts neither (an image folder without class folders: null labels)
        if pc.count_distinct(column.take(rows)).as_py() <= DICTIONARY_SAMPLE // 2:
            chosen.append(name)
    return chosen


def write_table(table: pa.Table, path: Path) -> tuple[str, int]:
    """Write `table` as the version's Parquet file; returns the version's checksum and size.

    The checksum is the one `folder_checksum` computes for a folder holding
    only this file, taken from the bytes as they are written.
    """
    digest = hashlib.sha256(f"{path.name}\0".encode())
    with _HashingFile(path, digest) as sink:
        pq.write_table(
            table,
            sink,
            row_group_size=ROW_GROUP_ROWS,
            use_dictionary=dictionary_columns(table),
            # Page statistics help readers skip pages by value; nobody filters by text.
            write_statistics=[
                f.name
                for f in table.schema
                if not pa.types.is_string(f.type) and not pa.types.is_large_string(f.type)
            ],
        )
    return digest.hexdigest(), sink.size


def link_images(source: Path, target: Path) -> None:
    """Versions share image files: hard links where the filesystem allows, else copies."""
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                destination.hardlink_to(path)
            except OSError:
                shutil.copyfile(path, destination)

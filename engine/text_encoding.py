"""Which encoding a text file is in, and a UTF-8 copy of one that is not UTF-8.

A file that is not valid UTF-8 was once read whole as latin-1: a Windows-1252
file then stored C1 control characters for its curly quotes and €, and a UTF-8
file with a few stray latin-1 bytes far in had every accented letter before them
turned into mojibake. Now a byte-order mark decides first (UTF-32 before UTF-16:
UTF-32-LE's mark begins with UTF-16-LE's), then UTF-8 is checked, and only the
lines that are not UTF-8 are decoded with a legacy encoding that charset-normalizer
detects from those lines; the person is told which lines and which encoding.

Standard library and charset-normalizer only (no torch, no pyarrow): app/ imports it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_BYTES = 1 << 20
"""Bytes of non-UTF-8 lines the legacy encoding is detected from."""
LEGACY_CANDIDATES = (
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "koi8_r",
    "mac_roman",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
)
"""What people's files are in, most common first (ties go to the earlier). The DOS code
pages are left out: on a few lines of Western text charset-normalizer ranks cp775 first."""
SHOWN_LINES = 10


@dataclass(frozen=True)
class Encoding:
    name: str
    """A Python codec name: utf-8, utf-8-sig, utf-16, utf-32, or a legacy one (cp1252…)."""
    fallback: bool = False
    """True when the file is not (all) UTF-8: its non-UTF-8 lines need `legacy`."""


BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(head: bytes) -> str | None:
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    return None


def detect_encoding(path: Path, limit: int | None = None) -> Encoding:
    """By byte-order mark; else UTF-8 if the file (or its first `limit` bytes) is valid
    UTF-8; else the legacy encoding of its non-UTF-8 lines, with `fallback` set.

    `limit` suits readers that validate UTF-8 themselves (Arrow's CSV reader gives text
    that is not UTF-8 a binary column) and transcode when they find out."""
    with path.open("rb") as handle:
        named = bom_encoding(handle.read(4))
        if named:
            return Encoding(named)
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        remaining = limit
        try:
            while chunk := handle.read(1 << 20 if remaining is None else min(1 << 20, remaining)):
                decoder.decode(chunk)
                if remaining is not None:
                    remaining -= len(chunk)
                    if remaining <= 0:
                        break  # a character cut at the limit is held back, not an error
            else:
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return Encoding(legacy_encoding(path), fallback=True)
    return Encoding("utf-8")


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle  # split at b"\n": line numbers as an editor counts them


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def legacy_encoding(path: Path) -> str:
    """The encoding of the lines that are not UTF-8, by charset-normalizer; cp1252 (the
    commonest legacy encoding) when it cannot tell."""
    sample = bytearray()
    for line in _lines(path):
        if not _is_utf8(line):
            sample += line
            if len(sample) >= SAMPLE_BYTES:
                break
    return detect_legacy(bytes(sample))


def detect_legacy(sample: bytes) -> str:
    import charset_normalizer

    matches = charset_normalizer.from_bytes(sample, cp_isolation=list(LEGACY_CANDIDATES))
    best = matches.best()
    if best is None:
        return "cp1252"
    tied = {
        name
        for match in matches
        if match.chaos == best.chaos and match.coherence == best.coherence
        for name in (match.encoding, *match.could_be_from_charset)
    }
    return next((name for name in LEGACY_CANDIDATES if name in tied), best.encoding)


@dataclass
class Transcoded:
    path: Path
    encoding: str
    legacy_lines: list[int] = field(default_factory=list)
    """1-based numbers of the lines that were not UTF-8."""
    utf8_lines: int = 0
    """Lines with non-ASCII text that were valid UTF-8 (kept as they were)."""

    def note(self, name: str) -> str | None:
        if not self.legacy_lines:
            return None
        if not self.utf8_lines:
            return f"{name} is not UTF-8: it was read as {self.encoding} (detected)."
        shown = ", ".join(map(str, self.legacy_lines[:SHOWN_LINES]))
        more = len(self.legacy_lines) - SHOWN_LINES
        extra = f" and {more} more" if more > 0 else ""
        return (
            f"{name}: line(s) {shown}{extra} are not UTF-8 and were read as {self.encoding} "
            "(detected); the rest is UTF-8."
        )


def transcode_to_utf8(path: Path, target: Path, legacy: str | None = None) -> Transcoded:
    """Write `path` to `target` as UTF-8, line by line: a line that is valid UTF-8 is kept
    as it is, any other is decoded with the legacy encoding (detected when not given).
    Line numbers do not change, so errors found in the copy name the source's lines."""
    result = Transcoded(target, legacy or legacy_encoding(path))
    with target.open("wb") as out:
        out.writelines(_utf8_lines(path, result))
    return result


def read_text(path: Path) -> tuple[str, str | None]:
    """The whole text of a file (a byte-order mark, else UTF-8 with the lines that are not
    decoded as their detected legacy encoding), and a note when any line was not UTF-8."""
    encoding = detect_encoding(path)
    if not encoding.fallback:
        return path.read_text(encoding=encoding.name), None
    result = Transcoded(path, encoding.name)
    text = b"".join(_utf8_lines(path, result)).decode("utf-8")
    return text, result.note(path.name)


def _utf8_lines(path: Path, result: Transcoded) -> Iterator[bytes]:
    for number, line in enumerate(_lines(path), start=1):
        if _is_utf8(line):
            if not line.isascii():
                result.utf8_lines += 1
            yield line
        else:
            result.legacy_lines.append(number)
            yield line.decode(result.encoding, errors="replace").encode("utf-8")

"""Text from the person's data (dataset and job names) on a terminal: never raw.

A name may hold newlines or escape sequences (ESC [ …) that would forge lines or drive
the terminal; they are shown escaped, as Python writes them (`\\x1b`, `\\n`)."""

from __future__ import annotations


def shown(text: object) -> str:
    return "".join(
        character if character.isprintable() else repr(character)[1:-1]
        for character in str(text)
    )


def size_text(count: float) -> str:
    """Bytes as a person reads them: 512 B, 3.4 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return ""

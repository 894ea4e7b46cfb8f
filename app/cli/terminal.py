"""Text from the person's data (dataset and job names) on a terminal: never raw.

A name may hold newlines or escape sequences (ESC [ …) that would forge lines or drive
the terminal; they are shown escaped, as Python writes them (`\\x1b`, `\\n`)."""

from __future__ import annotations


def shown(text: object) -> str:
    return "".join(
        character if character.isprintable() else repr(character)[1:-1] for character in str(text)
    )

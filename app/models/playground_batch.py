"""A file of texts to classify in one batch, and the table of answers written out as CSV."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from app.errors import UserError
from engine.data_files import DataFileError, read_rows
from engine.text_encoding import read_text

TEXT_COLUMNS = ("text", "sentence", "review", "content", "prompt")
MAX_TEXTS = 100_000


def read_texts(path: Path) -> list[str]:
    """One text per line of a .txt file, or the text column of a data file (the first of
    TEXT_COLUMNS it has, else its only string column)."""
    if path.suffix.lower() == ".txt":
        text, _encoding = read_text(path)
        texts = [line for line in text.splitlines() if line.strip()]
    else:
        try:
            columns, rows = read_rows(path, limit=MAX_TEXTS + 1)
        except DataFileError as error:
            raise UserError(str(error)) from None
        column = next((c for c in TEXT_COLUMNS if c in columns), None)
        if column is None:
            strings = [c for c in columns if rows and isinstance(rows[0].get(c), str)]
            if len(strings) != 1:
                raise UserError(
                    f"{path}: which column holds the texts? Name one "
                    f"{' or '.join(TEXT_COLUMNS[:2])} (columns: {', '.join(columns)})"
                )
            column = strings[0]
        texts = [str(row.get(column) or "") for row in rows]
    if not texts:
        raise UserError(f"{path} holds no text to classify")
    if len(texts) > MAX_TEXTS:
        raise UserError(f"{path} has more than {MAX_TEXTS:,} texts; split it first")
    return texts


def write_predictions(path: Path, predictions: list[dict[str, Any]]) -> Path:
    """input, label, probability, then every label's probability; written beside and
    renamed into place, so a failure leaves no half-written file."""
    labels = sorted({p["label"] for row in predictions for p in row.get("labels", [])})
    partial = path.with_name(f".{path.name}.partial")
    try:
        _write(partial, predictions, labels)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return path


def _write(partial: Path, predictions: list[dict[str, Any]], labels: list[str]) -> None:
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["input", "label", "probability", *(f"p({label})" for label in labels)])
        for row in predictions:
            ranked = row.get("labels") or []
            scores = {p["label"]: p["p"] for p in ranked}
            top = ranked[0] if ranked else {"label": row.get("error", ""), "p": ""}
            writer.writerow(
                [row["input"], top["label"], top["p"], *(scores.get(label, "") for label in labels)]
            )

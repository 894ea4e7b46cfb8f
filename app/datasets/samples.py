"""Sample datasets for a first run, written by this module: no third-party data.

Each is generated from a fixed seed into a temporary folder and then imported
like any file the person drops, so a sample exercises the real import path.
The text is built from templates, the images are drawn shapes, and the
instructions carry answers computed here, so every sample is correct.
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.datasets.store import DatasetStore, DatasetVersion
    from app.tasks import TaskState

SEED = 7
PER_CLASS = 80


@dataclass(frozen=True)
class Sample:
    key: str
    name: str
    description: str
    write: Callable[[Path], Path]
    """Writes the sample under a folder and returns the path to import."""


_SUBJECTS = [
    "The battery",
    "The screen",
    "Delivery",
    "The manual",
    "Customer support",
    "The fabric",
    "The zipper",
    "Setup",
    "The sound",
    "The handle",
    "The app",
    "The price",
    "The lid",
]
_POSITIVE = [
    "works perfectly",
    "exceeded my expectations",
    "is excellent",
    "arrived early",
    "feels solid and well made",
    "was a pleasure",
    "is worth every penny",
    "is bright and sharp",
]
_NEGATIVE = [
    "stopped working after a week",
    "is flimsy",
    "was a disappointment",
    "arrived broken",
    "is far too loud",
    "took ages",
    "is confusing",
    "cracked on the first day",
]
_NEUTRAL = [
    "is as described",
    "is fine for the price",
    "does the job",
    "is average",
    "is what I expected",
    "is neither good nor bad",
    "is acceptable",
]
_ENDINGS = {
    "positive": ["Would buy again.", "Highly recommended.", "Five stars.", ""],
    "negative": ["Returning it.", "Would not recommend.", "Very unhappy.", ""],
    "neutral": ["Nothing special.", "It is okay.", "No complaints, no praise.", ""],
}


def _reviews(folder: Path) -> Path:
    rng = random.Random(SEED)
    path = folder / "product_reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "stars"])
        for _ in range(600):
            label = rng.choice(["positive", "negative", "neutral"])
            phrases = {"positive": _POSITIVE, "negative": _NEGATIVE, "neutral": _NEUTRAL}[label]
            sentences = [
                f"{rng.choice(_SUBJECTS)} {rng.choice(phrases)}." for _ in range(rng.randint(1, 3))
            ]
            ending = rng.choice(_ENDINGS[label])
            stars = {"positive": rng.choice([4, 5]), "negative": rng.choice([1, 2]), "neutral": 3}
            writer.writerow([" ".join([*sentences, ending]).strip(), label, stars[label]])
    return path


def _instructions(folder: Path) -> Path:
    rng = random.Random(SEED)
    words = ["spark", "trainer", "model", "dataset", "gradient", "tensor", "layer", "batch"]
    units = [("kilometres", "metres", 1000), ("hours", "minutes", 60), ("kilograms", "grams", 1000)]
    path = folder / "instructions.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for index in range(400):
            kind = index % 4
            if kind == 0:
                a, b = rng.randint(2, 99), rng.randint(2, 99)
                prompt, response = f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}."
            elif kind == 1:
                word = rng.choice(words)
                prompt, response = f"Reverse the word '{word}'.", word[::-1]
            elif kind == 2:
                big, small, factor = rng.choice(units)
                amount = rng.randint(1, 20)
                prompt = f"Convert {amount} {big} to {small}."
                response = f"{amount} {big} is {amount * factor} {small}."
            else:
                items = rng.sample(words, 3)
                prompt = f"Sort these words alphabetically: {', '.join(items)}."
                response = ", ".join(sorted(items))
            handle.write(json.dumps({"prompt": prompt, "response": response}) + "\n")
    return path


def _shapes(folder: Path) -> Path:
    from PIL import Image, ImageDraw

    rng = random.Random(SEED)
    root = folder / "shapes"
    for shape in ("circle", "square", "triangle"):
        (root / shape).mkdir(parents=True)
        for index in range(PER_CLASS):
            size = 48
            background = tuple(rng.randint(200, 255) for _ in range(3))
            colour = tuple(rng.randint(0, 150) for _ in range(3))
            image = Image.new("RGB", (size, size), background)
            draw = ImageDraw.Draw(image)
            half = rng.randint(10, 20)
            cx, cy = rng.randint(half, size - half), rng.randint(half, size - half)
            if shape == "circle":
                draw.ellipse((cx - half, cy - half, cx + half, cy + half), fill=colour)
            elif shape == "square":
                draw.rectangle((cx - half, cy - half, cx + half, cy + half), fill=colour)
            else:
                draw.polygon(
                    [(cx, cy - half), (cx - half, cy + half), (cx + half, cy + half)], colour
                )
            image.save(root / shape / f"{shape}-{index:02d}.png")
    return root


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "reviews",
        "Product reviews",
        "600 short reviews labelled positive, negative or neutral (text classification)",
        _reviews,
    ),
    Sample(
        "instructions",
        "Instructions",
        "400 prompt / response pairs: sums, conversions, word games (instruction tuning)",
        _instructions,
    ),
    Sample(
        "shapes",
        "Shapes",
        "240 small drawings of circles, squares and triangles (image classification)",
        _shapes,
    ),
)


def sample(key: str) -> Sample:
    for item in SAMPLES:
        if item.key == key:
            return item
    raise KeyError(key)


def import_sample(store: DatasetStore, key: str, state: TaskState | None = None) -> DatasetVersion:
    """Write the sample to a temporary folder and import it under its display name."""
    item = sample(key)
    with tempfile.TemporaryDirectory(prefix="sparktrainer-sample-") as folder:
        return store.import_path(
            item.write(Path(folder)), item.name, state, origin=f"the SparkTrainer sample {key!r}"
        )

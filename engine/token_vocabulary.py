"""Text into the token ids a Builder network with a `tokens` input reads.

A network drawn in the Builder has no pretrained tokenizer, so its words are counted
here: the `vocab_size - 2` most frequent words of the training rows (ties by first
appearance, so the same rows always give the same ids and resume is exact), with id 0
for padding and 1 for a word outside the vocabulary. Words are lower-cased runs of
letters and digits, and each punctuation mark on its own, which keeps "great!" and
"great" one word. A text is cut or padded to the input's `length`; padding goes on the
left so that an LSTM/GRU giving its last output ends on the text's last word.

Standard library only: the vocabulary is saved as a JSON list beside the weights.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

PAD, UNKNOWN = "<pad>", "<unk>"
RESERVED = (PAD, UNKNOWN)
_WORD = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def build_vocabulary(texts: Iterable[str], size: int) -> list[str]:
    """The id → word list: the reserved two, then the commonest words, at most `size`."""
    if size < len(RESERVED) + 1:
        raise ValueError(f"vocab_size must be at least {len(RESERVED) + 1}")
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text))
    # Counter.most_common keeps first-seen order among equal counts.
    return [*RESERVED, *(word for word, _ in counts.most_common(size - len(RESERVED)))]


class Encoder:
    """Word ids of a fixed length by one vocabulary (engine side and export alike)."""

    def __init__(self, vocabulary: list[str], length: int) -> None:
        self.vocabulary, self.length = list(vocabulary), length
        self.index = {word: i for i, word in enumerate(self.vocabulary)}
        self.unknown = self.index[UNKNOWN]

    def encode(self, text: str) -> list[int]:
        ids = [self.index.get(word, self.unknown) for word in words(text)][: self.length]
        return [0] * (self.length - len(ids)) + ids

"""The words of a Builder network's tokens input: counted once, the same ids every time."""

from __future__ import annotations

import pytest

from engine.token_vocabulary import Encoder, build_vocabulary, words


def test_words_are_lower_cased_with_punctuation_apart() -> None:
    assert words("Great film!  Don't miss it.") == [
        "great", "film", "!", "don", "'", "t", "miss", "it", ".",
    ]  # fmt: skip


def test_the_commonest_words_win_and_ties_keep_their_first_appearance() -> None:
    texts = ["b a c", "a c d", "a"]
    assert build_vocabulary(texts, 5) == ["<pad>", "<unk>", "a", "c", "b"]
    assert build_vocabulary(reversed(texts), 5) == ["<pad>", "<unk>", "a", "c", "d"]
    assert build_vocabulary(texts, 100) == ["<pad>", "<unk>", "a", "c", "b", "d"]


def test_a_text_is_padded_on_the_left_and_cut_to_the_length() -> None:
    encoder = Encoder(["<pad>", "<unk>", "good", "film"], 4)
    assert encoder.encode("good film") == [0, 0, 2, 3]
    assert encoder.encode("a good, good film indeed") == [1, 2, 1, 2]
    assert encoder.encode("") == [0, 0, 0, 0]


def test_a_vocabulary_needs_room_for_one_word() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        build_vocabulary(["a"], 2)

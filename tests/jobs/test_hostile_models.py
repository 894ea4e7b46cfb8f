"""Hostile model folders end in a message naming the file, never a hang or a crash
(issue #15, item 10): checked before submit and again by the engine."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from app.errors import UserError
from app.jobs import validation


def _spec(folder: Path) -> dict:
    return {"recipe": "causal_lm_sft", "model": {"source": "local", "path": str(folder)}}


def _folder(tmp_path: Path, config: object, header: object) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    body = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(body)) + body)
    return folder


@pytest.mark.parametrize(
    ("config", "header", "message"),
    [
        ([1, 2], {}, r"config\.json holds a JSON list, not an object"),
        ({}, [1, 2], r"model\.safetensors: the header is a JSON list"),
    ],
)
def test_json_that_is_not_an_object_is_refused_by_both_checks(
    tmp_path, config, header, message
) -> None:
    from engine.errors import ConfigError
    from engine.models import check_safe_folder

    folder = _folder(tmp_path, config, header)
    with pytest.raises(UserError, match=message):
        validation.check_model(_spec(folder))
    assert validation.model_shape(_spec(folder)) is None
    with pytest.raises(ConfigError, match=message):
        check_safe_folder(folder)


@pytest.mark.timeout(20)
def test_a_fifo_named_like_weights_does_not_hang(tmp_path) -> None:
    folder = _folder(tmp_path, {"hidden_size": 8}, {})
    (folder / "model.safetensors").unlink()
    os.mkfifo(folder / "model.safetensors")  # opening it for reading would block for ever
    with pytest.raises(UserError, match="is not a regular file"):
        validation.check_model(_spec(folder))
    assert validation.model_shape(_spec(folder)) is None

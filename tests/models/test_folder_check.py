"""Local model folders are read from their files (no torch) and refused with the reason."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from app.models.folder_check import FolderRefusedError, inspect_folder


def _safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """A real safetensors file: header, then zero-filled data of the right size."""
    header, offset = {}, 0
    sizes = {"F32": 4, "F16": 2, "BF16": 2}
    for name, (dtype, shape) in tensors.items():
        count = 1
        for n in shape:
            count *= n
        header[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [offset, offset + count * sizes[dtype]],
        }
        offset += count * sizes[dtype]
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + bytes(offset))


def _folder(tmp_path: Path, **config) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", **config})
    )
    _safetensors(folder / "model.safetensors", {"wte": ("F16", [10, 4]), "ln.bias": ("F32", [4])})
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_a_good_folder_is_read_from_its_files(tmp_path) -> None:
    facts = inspect_folder(_folder(tmp_path))
    assert facts.architecture == "GPT2LMHeadModel"
    assert facts.task == "causal_lm_sft"
    assert facts.parameters == 44
    assert facts.dtype == "float16"
    assert facts.preprocessor == "tokenizer"
    assert facts.size_bytes == sum(p.stat().st_size for p in facts.path.iterdir())


def test_missing_files_pickles_and_custom_code_are_refused_with_the_reason(tmp_path) -> None:
    with pytest.raises(FolderRefusedError, match=r"no config\.json"):
        inspect_folder(tmp_path)

    folder = _folder(tmp_path, auto_map={"AutoModel": "modeling_evil.EvilModel"})
    with pytest.raises(FolderRefusedError, match=r"custom code.*AutoModel"):
        inspect_folder(folder)

    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(FolderRefusedError, match=r"only pickle weights \(pytorch_model.bin\)"):
        inspect_folder(folder)

    _safetensors(folder / "model-00001-of-00002.safetensors", {"a": ("F32", [2])})
    (folder / "model.safetensors.index.json").write_text(
        json.dumps(
            {
                "weight_map": {
                    "a": "model-00001-of-00002.safetensors",
                    "b": "model-00002-of-00002.safetensors",
                }
            }
        )
    )
    with pytest.raises(FolderRefusedError, match=r"missing: model-00002-of-00002\.safetensors"):
        inspect_folder(folder)

    (folder / "model.safetensors.index.json").unlink()
    (folder / "tokenizer.json").unlink()
    with pytest.raises(FolderRefusedError, match="no tokenizer or image processor"):
        inspect_folder(folder)


def test_an_adapter_folder_is_not_a_base(tmp_path) -> None:
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}")
    with pytest.raises(FolderRefusedError, match="LoRA adapter"):
        inspect_folder(folder)

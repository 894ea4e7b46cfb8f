"""`sparktrainer model …` in real processes, on a folder written like a Hugging Face one."""

from __future__ import annotations

import json

from tests.conftest import run_main
from tests.models.test_folder_check import _folder


def test_list_add_show_card_and_delete_from_a_terminal(tmp_path) -> None:
    listed = run_main("model", "list")
    assert listed.returncode == 0, listed.stderr
    assert "tiny-gpt2" in listed.stdout and "tiny-vit" in listed.stdout

    folder = _folder(tmp_path)
    added = run_main("model", "add", str(folder))
    assert added.returncode == 0, added.stderr
    assert "Added model #4: model (GPT2LMHeadModel, 44 parameters, float16" in added.stdout
    again = run_main("model", "add", str(folder))
    assert again.returncode == 1 and "registered already, as model #4" in again.stderr

    shown = run_main("model", "show", "4")
    assert "GPT2LMHeadModel" in shown.stdout and "model.safetensors" in shown.stdout

    card = run_main("model", "card", "4")
    assert card.stdout.startswith("# model\n") and "## How to load" in card.stdout
    mine = tmp_path / "card.md"
    mine.write_text("# My model\n\nFor tests.\n")
    assert run_main("model", "card", "4", "--from-file", str(mine)).returncode == 0
    assert run_main("model", "card", "4").stdout == "# My model\n\nFor tests.\n"
    assert not (folder / "README.md").exists()  # the person's folder is not written to

    pickles = tmp_path / "pickles"
    pickles.mkdir()
    (pickles / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (pickles / "pytorch_model.bin").write_bytes(b"x")
    refused = run_main("model", "add", str(pickles))
    assert refused.returncode == 1 and "only pickle weights" in refused.stderr

    deleted = run_main("model", "delete", "4", "--yes")
    assert deleted.returncode == 0 and "0 B freed" in deleted.stdout
    assert folder.is_dir()
    assert "GPT2LMHeadModel" not in run_main("model", "list").stdout

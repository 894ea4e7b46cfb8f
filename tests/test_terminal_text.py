"""Names from the person's data reach a terminal escaped (issue #15, item 12)."""

from __future__ import annotations

import pytest

from app.cli.terminal import shown
from tests.conftest import run_main


def test_control_characters_are_shown_escaped() -> None:
    assert shown("ok name") == "ok name"
    assert shown("évènement ✓") == "évènement ✓"
    assert shown("a\x1b[2J\nforged line\r") == "a\\x1b[2J\\nforged line\\r"


@pytest.mark.slow
def test_a_dataset_name_cannot_drive_the_terminal(data_home, tmp_path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("text,label\nhello,a\nworld,b\n")
    name = "red\x1b[31m\nJOB job-1 completed"
    imported = run_main("dataset", "import", str(data), "--name", name)
    assert imported.returncode == 0, imported.stderr
    listed = run_main("dataset", "list").stdout
    assert "\x1b" not in imported.stdout + listed
    assert "red\\x1b[31m\\nJOB job-1 completed" in listed
    assert not any(line.startswith("JOB") for line in listed.splitlines())

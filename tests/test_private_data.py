"""Other local users read nothing of ours (issue #15, item 8)."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import run_main

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="POSIX modes"),
]


def test_an_open_data_directory_is_made_private_and_new_files_are_ours_alone(
    data_home, tmp_path
) -> None:
    data_home.mkdir(parents=True, exist_ok=True)
    data_home.chmod(0o755)
    source = tmp_path / "d.csv"
    source.write_text("text,label\nhello,a\nworld,b\n")
    done = run_main("dataset", "import", str(source), "--name", "private")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data_home.stat().st_mode) == 0o700
    log = (data_home / "logs" / "app.log").read_text()
    assert "readable by other users (mode 755): made it private" in log
    written = [p for p in data_home.rglob("*") if p.is_file()]
    assert any(p.name == "data.parquet" for p in written)
    loose = [str(p) for p in written if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []
    folders = [p for p in data_home.rglob("*") if p.is_dir()]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in folders)

"""Secrets: the real Secret Service, the encrypted fallback, the Settings pane, and a
scan for leaks after a job that needs a token."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app.credentials.encrypted_store import EncryptedFileStore
from app.credentials.service import CredentialService, check_huggingface_token
from app.errors import UserError

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

TOKEN = "hf_SparkTrainerLeakCanary0123456789"


def test_secret_service_round_trip(secret_service, paths) -> None:
    service = CredentialService(paths)
    result = service.probe()
    assert service.uses_keyring, result.description
    assert "Secret Service" in service.store_description
    service.set("huggingface", TOKEN)
    assert service.get("huggingface") == TOKEN
    service.set("huggingface", TOKEN + "-replaced")
    assert CredentialService(paths).probe() and service.get("huggingface") == TOKEN + "-replaced"
    service.set("openai", "sk-other-secret-value")
    assert service.names() == ["huggingface", "openai"]
    service.delete("huggingface")
    assert service.get("huggingface") is None
    assert service.names() == ["openai"]
    assert not (paths.root / "secrets.enc").exists()  # nothing fell back to a file


def test_settings_pane_stores_replaces_and_deletes(
    secret_service, start_session, paths, qtbot, monkeypatch
) -> None:
    session = start_session(paths)
    service = session.core.credentials
    qtbot.waitUntil(lambda: service.probed, timeout=15_000)
    pane = session.window.show_pane("settings")
    box = pane.accounts
    assert "Secret Service" in box.store_label.text()
    field = box.fields["huggingface"]
    qtbot.waitUntil(field.isEnabled)
    assert field.edit.echoMode() == field.edit.EchoMode.Password
    field.edit.setText(TOKEN)
    with qtbot.waitSignal(service.secrets_changed, timeout=10_000):
        field.save.click()
    assert service.get("huggingface") == TOKEN
    field.reveal.click()
    assert field.edit.echoMode() == field.edit.EchoMode.Normal

    field.edit.setText(TOKEN + "2")
    with qtbot.waitSignal(service.secrets_changed, timeout=10_000):
        field.save.click()
    assert service.get("huggingface") == TOKEN + "2"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(service.secrets_changed, timeout=10_000):
        field.delete.click()
    assert service.get("huggingface") is None
    qtbot.waitUntil(lambda: field.edit.text() == "")


def test_fallback_when_no_secure_keyring(no_secret_service, paths) -> None:
    service = CredentialService(paths)
    service.probe(timeout=10)
    assert not service.uses_keyring
    assert service.needs_passphrase and "encrypted file" in service.store_description
    with pytest.raises(UserError, match="locked"):
        service.get("huggingface")
    service.unlock("correct horse battery staple", "correct horse battery staple")
    service.set("huggingface", TOKEN)
    store = paths.root / "secrets.enc"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert TOKEN.encode() not in store.read_bytes()

    again = EncryptedFileStore(store)
    again.unlock("correct horse battery staple")
    assert again.get("huggingface") == TOKEN


RIGHT = "the right passphrase"


def test_wrong_passphrase_is_clear_and_changes_nothing(paths) -> None:
    store = EncryptedFileStore(paths.root / "secrets.enc")
    store.unlock(RIGHT, RIGHT)
    store.set("wandb", "wandb-key-0123456789")
    before = store.path.read_bytes()
    with pytest.raises(UserError, match="Wrong passphrase"):
        EncryptedFileStore(store.path).unlock("wrong")
    assert store.path.read_bytes() == before


def test_corrupted_store_is_reported_and_left_alone(paths) -> None:
    store = EncryptedFileStore(paths.root / "secrets.enc")
    store.unlock(RIGHT, RIGHT)
    store.set("wandb", "wandb-key-0123456789")
    document = json.loads(store.path.read_text())
    document["ciphertext"] = document["ciphertext"][:-8] + "AAAAAAA="
    store.path.write_text(json.dumps(document))
    damaged = store.path.read_bytes()
    with pytest.raises(UserError, match=r"Wrong passphrase|altered"):
        EncryptedFileStore(store.path).unlock(RIGHT)
    store.path.write_text("{not json")
    with pytest.raises(UserError, match="damaged"):
        EncryptedFileStore(store.path).unlock(RIGHT)
    assert store.path.read_text() == "{not json"
    assert damaged != store.path.read_bytes()


def test_a_new_store_needs_a_real_passphrase_typed_twice(paths) -> None:
    store = EncryptedFileStore(paths.root / "secrets.enc")
    with pytest.raises(UserError, match=r"1 characters long; .* at least 10"):
        store.unlock("x", "x")
    with pytest.raises(UserError, match="differ"):
        store.unlock("long enough phrase", "long enough phrasf")
    with pytest.raises(UserError, match="differ"):
        store.unlock("long enough phrase")  # creating asks for it twice
    assert not store.path.exists() and not store.unlocked


def test_a_store_made_with_cheaper_scrypt_opens_and_is_upgraded(paths, monkeypatch) -> None:
    """Raising the cost must not lock existing stores out: the file records the parameters
    its key was made with, and an older store is re-encrypted with today's on opening."""
    from app.credentials import encrypted_store

    monkeypatch.setattr(encrypted_store, "SCRYPT_N", 2**14)
    old = EncryptedFileStore(paths.root / "secrets.enc")
    old.unlock(RIGHT, RIGHT)
    old.set("wandb", "wandb-key-0123456789")
    assert json.loads(old.path.read_text())["kdf"]["n"] == 2**14
    monkeypatch.undo()  # today's cost again

    opened = EncryptedFileStore(old.path)
    opened.unlock(RIGHT)
    assert opened.get("wandb") == "wandb-key-0123456789"
    assert json.loads(old.path.read_text())["kdf"]["n"] == encrypted_store.SCRYPT_N == 2**17
    opened.set("huggingface", TOKEN)  # written with the parameters its key was made with
    again = EncryptedFileStore(old.path)
    again.unlock(RIGHT)
    assert again.get("huggingface") == TOKEN


def test_a_job_secret_without_any_store_is_simply_absent(no_secret_service, paths) -> None:
    """No keyring and no encrypted store yet: nothing to unlock, a public model runs."""
    from app.credentials.service import CredentialService

    service = CredentialService(paths)
    service.probe(timeout=10)
    assert service.needs_passphrase and not service.file_store_exists
    assert service.job_environment(["huggingface"]) == {}
    EncryptedFileStore(paths.root / "secrets.enc").unlock(RIGHT, RIGHT)
    with pytest.raises(UserError, match="which is locked"):
        service.job_environment(["huggingface"])


def test_token_check_says_offline_clearly() -> None:
    """No network here (real, not mocked): the check must say so, not crash."""
    with pytest.raises(UserError, match="Offline"):
        check_huggingface_token(TOKEN)


def test_a_token_leaks_nowhere(secret_service, start_session, paths, qtbot, tmp_path) -> None:
    """Store a token, log it by mistake, run an engine that needs it on data that contains
    it, then look for its bytes everywhere the app and the engine write."""
    import logging

    from tests.engine.helpers import (
        engine_command,
        make_spec,
        read_events,
        sft_rows,
        spec_file,
        wait_for,
        write_jsonl,
    )

    session = start_session(paths)
    service = session.core.credentials
    qtbot.waitUntil(lambda: service.probed, timeout=15_000)
    qtbot.waitUntil(lambda: session.core.database_is_open, timeout=15_000)
    service.set("huggingface", TOKEN)
    logging.getLogger("tests").warning("a careless log line with %s in it", TOKEN)
    session.core.notifications.notify("Token saved", "for the Hub")
    session.core.settings.sync()

    rows = [*sft_rows(8), {"prompt": f"my token is {TOKEN}", "response": "never print it"}]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    spec = make_spec(
        paths.runs,
        "causal_lm_sft",
        data,
        model="tiny-gpt2",
        name="job-leak",
        max_steps=30,
        batch_size=9,
    )
    environment = {**os.environ, **service.engine_environment(["huggingface"])}
    assert environment["HF_TOKEN"] == TOKEN
    engine = subprocess.Popen(
        engine_command(spec_file(paths.runs, spec)),
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    cmdline = Path(f"/proc/{engine.pid}/cmdline").read_bytes()
    stdout, _ = engine.communicate(timeout=300)
    assert engine.returncode == 0
    assert TOKEN.encode() not in cmdline
    assert TOKEN not in stdout
    run_dir = paths.runs / "job-leak"
    wait_for(lambda: read_events(run_dir)[-1]["event"] == "completed", timeout=5)
    sample = next(e for e in read_events(run_dir) if e["event"] == "sample")
    assert any("[redacted]" in row["text"] for row in sample["rows"])  # it was there to leak
    session.close()

    leaks = []
    for path in paths.root.rglob("*"):
        if path.is_file() and TOKEN.encode() in path.read_bytes():
            leaks.append(str(path))
    assert leaks == []
    with sqlite3.connect(paths.database) as connection:
        dump = "\n".join(connection.iterdump())
    assert TOKEN not in dump
    # The WAL and settings are files under the data directory, scanned above.


def test_pane_asks_for_a_passphrase_without_a_keyring(
    no_secret_service, start_session, paths, qtbot, monkeypatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    session = start_session(paths)
    service = session.core.credentials
    qtbot.waitUntil(lambda: service.probed, timeout=15_000)
    box = session.window.show_pane("settings").accounts
    assert "encrypted file" in box.store_label.text()
    assert box.unlock_button.isVisible() and box.unlock_button.text() == "Set a passphrase…"
    assert not box.fields["huggingface"].isEnabled()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("a good passphrase", True))
    with qtbot.waitSignal(service.store_changed, timeout=15_000):
        box.unlock_button.click()
    qtbot.waitUntil(lambda: box.fields["huggingface"].isEnabled())
    assert not box.unlock_button.isVisible()
    assert "unlocked" in box.store_label.text()


def test_secret_list_without_a_terminal_says_what_to_do(no_secret_service, data_home) -> None:
    """Over a pipe (cron, SSH without a tty) the passphrase cannot be asked: a message,
    never an EOFError traceback."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "secret", "list"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "no terminal to ask for its passphrase" in result.stderr
    assert "SPARKTRAINER_SECRETS_PASSPHRASE" in result.stderr
    assert "Traceback" not in result.stderr


def _hub_job(data: Path) -> dict:
    """A one-step job on a hub model: it needs the Hub token from the secret store."""
    return {
        "recipe": "causal_lm_sft",
        "model": {"source": "hub", "repo_id": "someone/model"},
        "dataset": {"path": str(data), "prompt_column": "prompt", "response_column": "response"},
        "hyperparameters": {"max_steps": 1},
    }


def test_the_window_asks_for_a_locked_store_once_then_runs_the_job(
    no_secret_service, start_session, paths, qtbot, tmp_path
) -> None:
    """Issue #15, item 2, in the window: a dialog, once, the unlock off the GUI thread,
    then the held-back job starts."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from app.jobs.states import JobStatus
    from tests.engine.helpers import sft_rows, write_jsonl

    paths.ensure()
    EncryptedFileStore(paths.root / "secrets.enc").unlock(RIGHT, RIGHT)
    session = start_session(paths)
    core = session.core
    qtbot.waitUntil(lambda: core.database_is_open and core.credentials.probed, timeout=20_000)
    qtbot.waitUntil(lambda: core.jobs.secrets.ask is not None, timeout=20_000)
    asked: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            asked.append(dialog.labelText())
            dialog.setTextValue(RIGHT)
            dialog.accept()

    timer = QTimer(interval=50)
    timer.timeout.connect(answer)
    timer.start()
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    job = core.jobs.submit(_hub_job(data))
    try:
        qtbot.waitUntil(lambda: not core.credentials.needs_passphrase, timeout=30_000)
        qtbot.waitUntil(
            lambda: core.jobs.store.get(job.id).status != JobStatus.QUEUED, timeout=30_000
        )
        assert len(asked) == 1 and "needs a token" in asked[0]
        assert core.jobs.store.get(job.id).failure_kind != "secret"
    finally:
        timer.stop()
        for supervisor in list(core.jobs._supervisors.values()):
            supervisor.kill()


def test_the_headless_runner_asks_a_locked_store_once_on_the_terminal(
    no_secret_service, paths, tmp_path
) -> None:
    """Issue #15, item 2, with no window: `job submit --wait` on a real terminal (a pty)
    asks the passphrase once, unlocks, and the job goes past the secret gate (it then
    fails offline on the download: no network here)."""
    import select
    import sys
    import time

    from tests.conftest import ROOT
    from tests.engine.helpers import sft_rows, write_jsonl

    paths.ensure()
    store = EncryptedFileStore(paths.root / "secrets.enc")
    store.unlock(RIGHT, RIGHT)
    store.set("huggingface", TOKEN)
    data = write_jsonl(tmp_path / "d.jsonl", sft_rows(8))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(_hub_job(data)))
    main, terminal = os.openpty()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "job", "submit", str(spec), "--wait"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(terminal)
    seen = b""
    answered = 0
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if not select.select([main], [], [], 1.0)[0]:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
            if seen.count(b"passphrase of the secret store") > answered:
                os.write(main, RIGHT.encode() + b"\n")
                answered += 1
        process.wait(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    text = seen.decode(errors="replace")
    assert answered == 1, text
    assert "locked" not in text.lower(), text
    assert "Traceback" not in text, text
    assert TOKEN not in text and RIGHT not in text, text  # nothing echoed

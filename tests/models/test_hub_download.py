"""Hub downloads with huggingface_hub's own client against a local stand-in for the Hub
(tests/fake_hub.py): there is no network here, so the server is the one thing faked."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from app.errors import UserError
from app.models.hub import HubDownload, hub_folder, parse_repo_id, partial_bytes
from engine.model_files import partial_download_folder
from tests.conftest import run_main
from tests.fake_hub import FakeHub, serve
from tests.models.test_folder_check import _folder, _safetensors
from views.models.task_row import TaskRow

REPO = "tiny-org/tiny-gpt"


@pytest.fixture
def hub_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Points the client at the stand-in; no shell token or login file is ever read."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def point(hub: FakeHub) -> dict[str, str]:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        return {"HF_ENDPOINT": hub.url}

    return point


def _sharded_repo(tmp_path: Path) -> Path:
    """A model in two safetensors shards, plus a pickle copy that must not be fetched."""
    folder = _folder(tmp_path)
    (folder / "model.safetensors").unlink()
    _safetensors(folder / "model-00001-of-00002.safetensors", {"wte": ("F32", [256, 64])})
    _safetensors(folder / "model-00002-of-00002.safetensors", {"wpe": ("F32", [128, 64])})
    index = {"weight_map": {"wte": "model-00001-of-00002.safetensors",
                            "wpe": "model-00002-of-00002.safetensors"}}  # fmt: skip
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    (folder / "pytorch_model.bin").write_bytes(b"pickle" * 100)
    return folder


def _gets(hub: FakeHub, name: str) -> int:
    """How many times the body of file `name` was asked for."""
    paths = [r.split()[1] for r in hub.requests if r.startswith("GET ") and "/resolve/" in r]
    return sum(1 for path in paths if path.endswith(f"/{name}"))


def test_names_are_checked_and_urls_accepted() -> None:
    assert parse_repo_id("https://huggingface.co/google-bert/bert-base-uncased/tree/main") == (
        "google-bert/bert-base-uncased"
    )
    assert parse_repo_id("  owner/name ") == "owner/name"
    for bad in ("", "just-a-name", "../../etc/passwd", "owner/../x"):
        with pytest.raises(UserError, match="not a Hub model name"):
            parse_repo_id(bad)


def test_download_from_a_terminal_registers_skips_pickles_and_delete_frees_it(
    tmp_path, hub_env, paths
) -> None:
    with serve(FakeHub()) as hub:
        hub.add_folder(REPO, _sharded_repo(tmp_path))
        env = hub_env(hub)
        done = run_main("model", "download", f"https://huggingface.co/{REPO}", env=env)
        assert done.returncode == 0, done.stderr
        assert f"Downloaded model #4: {REPO} (GPT2LMHeadModel, 24,576 parameters" in done.stdout
        folder = hub_folder(paths.models, REPO)
        assert (folder / "model-00002-of-00002.safetensors").is_file()
        assert not (folder / "pytorch_model.bin").exists()
        assert _gets(hub, "pytorch_model.bin") == 0
        assert not partial_download_folder(folder).exists()
        assert not (folder / ".cache").exists()

        again = run_main("model", "download", REPO, env=env)
        assert again.returncode == 1 and "downloaded already, as model #4" in again.stderr
    assert REPO in run_main("model", "list").stdout
    deleted = run_main("model", "delete", "4", "--yes")
    assert (
        deleted.returncode == 0 and "freed" in deleted.stdout and "0 B freed" not in deleted.stdout
    )
    assert not folder.exists()


def test_unusable_or_unreachable_repos_are_refused_with_the_reason(tmp_path, hub_env) -> None:
    pickles = tmp_path / "pickles"
    pickles.mkdir()
    (pickles / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (pickles / "pytorch_model.bin").write_bytes(b"x")
    custom = _folder(tmp_path, auto_map={"AutoModel": "modeling_x.XModel"})
    with serve(FakeHub()) as hub:
        hub.add_folder("org/pickles", pickles)
        hub.add_folder("org/custom", custom)
        env = hub_env(hub)
        refused = run_main("model", "download", "org/pickles", env=env)
        assert refused.returncode == 1 and "pickle" in refused.stderr
        refused = run_main("model", "download", "org/custom", env=env)
        assert refused.returncode == 1 and "auto_map" in refused.stderr
        assert _gets(hub, "model.safetensors") == 0  # refused on config.json alone
        missing = run_main("model", "download", "org/nothing-here", env=env)
        assert missing.returncode == 1 and "org/nothing-here" in missing.stderr
        assert "Traceback" not in missing.stderr

    with socket.socket() as closed:  # a port nobody listens on: the Hub is unreachable
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    offline = run_main("model", "download", REPO, env={"HF_ENDPOINT": f"http://127.0.0.1:{port}"})
    assert offline.returncode == 1 and "Cannot reach" in offline.stderr


def test_cancel_keeps_the_finished_files_and_the_next_download_resumes(
    tmp_path, hub_env, paths, qtbot
) -> None:
    hub = FakeHub(held="model-00001-of-00002.safetensors")
    with serve(hub):
        hub.add_folder(REPO, _sharded_repo(tmp_path))
        hub_env(hub)
        folder = hub_folder(paths.ensure().models, REPO)
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = partial_download_folder(folder)
        first = HubDownload(REPO, folder, None, {})
        failures: list[str] = []
        first.failed.connect(failures.append)
        qtbot.waitUntil(
            lambda: (
                hub.stalled.is_set() and (partial / "model-00002-of-00002.safetensors").is_file()
            ),
            timeout=60_000,
        )
        first.cancel()
        qtbot.waitUntil(lambda: not first.running, timeout=30_000)
        assert failures == ["The download was cancelled."]
        assert not folder.exists() and partial_bytes(folder) > 0

        hub.gate.set()
        hub.requests.clear()
        second = HubDownload(REPO, folder, None, {})
        seen: list[tuple[int, int]] = []
        second.progress.connect(lambda _phase, done, total: seen.append((done, total)))
        with qtbot.waitSignal(second.finished, timeout=60_000) as finished:
            pass
        assert finished.args == [str(folder)]
    assert _gets(hub, "model-00001-of-00002.safetensors") == 1
    assert _gets(hub, "model-00002-of-00002.safetensors") == 0  # finished before the cancel
    assert _gets(hub, "config.json") == 0
    files = hub.repos[REPO]
    total = sum(len(data) for name, data in files.items() if name != "pytorch_model.bin")
    assert seen[0][0] > 0 and seen[-1] == (total, total)
    assert all(t == total for _, t in seen) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not partial.exists() and not list(folder.rglob("*.incomplete"))


def test_a_gated_repo_needs_the_token_which_travels_in_the_environment_only(
    tmp_path, hub_env, paths, qtbot
) -> None:
    hub = FakeHub(token="hf_secret_for_tests")
    with serve(hub):
        hub.add_folder(REPO, _folder(tmp_path))
        hub_env(hub)
        folder = hub_folder(paths.ensure().models, REPO)
        folder.parent.mkdir(parents=True, exist_ok=True)
        without = HubDownload(REPO, folder, None, {})
        with qtbot.waitSignal(without.failed, timeout=60_000) as failed:
            pass
        assert REPO in failed.args[0] and "token" in failed.args[0].lower()

        with_token = HubDownload(REPO, folder, None, {"HF_TOKEN": "hf_secret_for_tests"})
        assert "hf_secret_for_tests" not in " ".join(with_token.process.arguments())
        with qtbot.waitSignal(with_token.finished, timeout=60_000):
            pass
    assert (folder / "model.safetensors").is_file()


def test_the_pane_downloads_with_progress_and_selects_the_new_model(
    tmp_path, hub_env, core, qtbot
) -> None:
    from views.models.download import DownloadDialog
    from views.models.pane import ModelsPane

    pane = ModelsPane(core)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: pane.downloads is not None and pane.models.rowCount() == 3)
    assert pane.download_action.shortcut().toString() == "Ctrl+Shift+D"

    hub = FakeHub(held="model-00001-of-00002.safetensors")
    with serve(hub):
        hub.add_folder(REPO, _sharded_repo(tmp_path))
        hub_env(hub)
        pane.downloads.start(REPO, None)
        qtbot.waitUntil(lambda: hub.stalled.is_set(), timeout=60_000)
        row = pane.task_rows.findChild(TaskRow)
        assert row is not None and row.label.text() == f"Downloading {REPO}"
        qtbot.waitUntil(lambda: " of " in row.bar.format(), timeout=30_000)
        row.cancel_button.click()
        qtbot.waitUntil(lambda: not pane.downloads.running, timeout=30_000)

        dialog = DownloadDialog(core.paths.models)
        qtbot.addWidget(dialog)
        dialog.repo.setText(f"https://huggingface.co/{REPO}")
        assert "unfinished download" in dialog.notice.text()
        assert not dialog.start_over.isHidden()
        dialog.repo.setText("not a name")
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        assert not ok.isEnabled() and dialog.start_over.isHidden()

        hub.gate.set()
        pane.downloads.start(REPO, None)
        qtbot.waitUntil(
            lambda: pane.selected() is not None and pane.selected().name == REPO,
            timeout=60_000,
        )
    assert pane.models.rowCount() == 4 and not pane.task_rows.findChildren(TaskRow)
    assert pane.selected().source == "hub" and pane.delete_action.isEnabled()

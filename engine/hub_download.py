"""`engine download REPO_ID DEST [--revision R]`: a model from the Hugging Face Hub into DEST.

huggingface_hub's own machinery does the transfer (parallel files, ETags, the resume of a
partial file from its `.incomplete` bytes); this module chooses the files, refuses a repo
we would not load before its gigabytes arrive, and reports bytes as `progress` events.
The files go into a `.partial-` folder beside DEST, renamed into place when complete: a
kill or a cancel leaves that folder, and the same command later resumes it. The token, if
any, comes in HF_TOKEN, never on the command line.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from engine.model_files import PICKLE_SUFFIXES, partial_download_folder
from engine.protocol import EXIT_COMPLETED, EXIT_FAILED, encode, make_event

PICKLED = tuple(f"*{suffix}" for suffix in sorted(PICKLE_SUFFIXES))
NOT_LOADED = (
    *PICKLED, "*.bin.index.json", "*.h5", "*.msgpack", "*.onnx", "*.onnx_data", "*.tflite",
    "*.ot", "*.gguf", "*.mlmodel", "onnx/*", "openvino/*", "coreml/*", "*.mlpackage/*",
)  # fmt: skip
"""Weights in formats we do not load (pickles would run code): never downloaded."""
REPORT_EVERY = 0.2


class RefusedError(Exception):
    """The person's choice cannot work: said in one line, no traceback."""

    def __init__(self, message: str, kind: str = "config", *, discard: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.discard = discard
        """The repo will never load: a partial download of it is of no use."""


def chosen_files(files: list[str]) -> list[str]:
    return [name for name in files if not any(fnmatch.fnmatch(name, p) for p in NOT_LOADED)]


def check_files(repo_id: str, files: list[str]) -> None:
    names = [name.rsplit("/", 1)[-1] for name in files]
    if any(name.endswith(".safetensors") for name in names):
        return
    pickles = [n for n in names if any(fnmatch.fnmatch(n, p) for p in PICKLED)]
    if pickles:
        raise RefusedError(
            f"{repo_id} has only pickle weights ({pickles[0]}), which can run code when "
            "loaded; SparkTrainer loads safetensors only. Choose a repo with "
            "model.safetensors, or convert it first.",
            discard=True,
        )
    raise RefusedError(f"{repo_id} has no model weights (no .safetensors file).", discard=True)


def _custom_code(config_file: Path, repo_id: str) -> None:
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.get("auto_map"):
        raise RefusedError(
            f"{repo_id} needs its own Python code (config.json has auto_map), which "
            "SparkTrainer does not run.",
            discard=True,
        )


def _reachable_error(error: BaseException, repo_id: str) -> RefusedError:
    """A Hub error in the words the person can act on."""
    from huggingface_hub import errors

    url = f"huggingface.co/{repo_id}"
    if isinstance(error, errors.GatedRepoError):
        return RefusedError(
            f"{repo_id} is gated: accept its terms on {url}, then add a Hugging Face token "
            "in Settings → Accounts and tokens."
        )
    if isinstance(error, errors.RevisionNotFoundError):
        return RefusedError(f"{repo_id} has no revision by that name.")
    if isinstance(error, errors.RepositoryNotFoundError):
        return RefusedError(
            f"There is no model {repo_id} on the Hub, or it is private and no token that "
            "can see it was given (Settings → Accounts and tokens)."
        )
    if isinstance(error, errors.OfflineModeIsEnabled):
        return RefusedError(
            "Offline mode is on (HF_HUB_OFFLINE): the Hub cannot be reached.", "network"
        )
    if isinstance(error, errors.HfHubHTTPError):
        status = getattr(error.response, "status_code", None)
        if status in (401, 403):
            return RefusedError(
                f"The Hub refused {repo_id} to this token (or to no token): add a Hugging "
                "Face token that can read it in Settings → Accounts and tokens."
            )
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return RefusedError(f"The Hub refused the download of {repo_id}: {first_line}", "network")
    return RefusedError(
        f"Cannot reach the Hugging Face Hub ({type(error).__name__}): check the network, "
        "or add the model as a local folder. A partial download resumes when retried.",
        "network",
    )


def _network_errors() -> tuple[type[BaseException], ...]:
    import importlib

    from huggingface_hub import errors

    found: list[type[BaseException]] = [errors.HfHubHTTPError, errors.OfflineModeIsEnabled, OSError]
    for client in ("httpx2", "httpx", "requests"):  # the client depends on the hub's version
        try:
            module: Any = importlib.import_module(client)
        except ImportError:
            continue
        found.append(getattr(module, "HTTPError", None) or module.RequestException)
    return tuple(found)


def bar_class(report: Callable[[int], None]) -> type:
    """A tqdm that counts the snapshot's bytes written to disk and shows nothing."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class Bar(hf_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._counts = kwargs.get("name") == "huggingface_hub.snapshot_download"
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if self._counts and n:
                report(int(n))
            return super().update(n)

    return Bar


def _drop_stale_parts(staging: Path) -> None:
    """An earlier process's temporary files: this client names them per process and never
    appends to them, so a stopped download resumes file by file and these are dead weight."""
    for part in (staging / ".cache").rglob("*.incomplete"):
        part.unlink(missing_ok=True)


def _finished_bytes(staging: Path, wanted: dict[str, int]) -> int:
    """Files an earlier run finished are skipped by the client; count them as done."""
    return sum(
        size
        for name, size in wanted.items()
        if (staging / name).is_file() and (staging / name).stat().st_size == size
    )


class Reporter:
    """Bytes arrive from several download threads; events leave at most 5 times a second."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total, self.done = out, total, 0
        self._lock = threading.Lock()
        self._last = 0.0

    def emit(self, phase: str, done: int, total: int) -> None:
        self.out.write(encode(make_event("progress", phase=phase, done=done, total=total)))
        self.out.write("\n")
        self.out.flush()

    def add(self, n: int) -> None:
        with self._lock:
            self.done = min(self.total, self.done + n)
            now = time.monotonic()
            if now - self._last >= REPORT_EVERY:
                self._last = now
                self.emit("downloading", self.done, self.total)


def download(repo_id: str, destination: Path, revision: str | None, out: TextIO) -> Path:
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download
    from huggingface_hub.hf_api import RepoFile

    if destination.exists():
        raise RefusedError(f"{destination} already exists: {repo_id} was downloaded before.")
    token = os.environ.get("HF_TOKEN") or None
    staging = partial_download_folder(destination)
    api = HfApi()
    try:
        sha = api.model_info(repo_id, revision=revision, token=token).sha
        listing = [
            f
            for f in api.list_repo_tree(repo_id, recursive=True, revision=sha, token=token)
            if isinstance(f, RepoFile)
        ]
    except _network_errors() as error:
        raise _reachable_error(error, repo_id) from None
    check_files(repo_id, [f.path for f in listing])
    chosen = set(chosen_files([f.path for f in listing]))
    wanted = {f.path: f.size for f in listing if f.path in chosen}
    reporter = Reporter(out, sum(wanted.values()))
    staging.mkdir(parents=True, exist_ok=True)
    _drop_stale_parts(staging)
    reporter.done = _finished_bytes(staging, wanted)
    reporter.emit("downloading", reporter.done, reporter.total)
    try:
        if "config.json" in wanted:  # before the weights, so a refusal costs kilobytes
            if not (staging / "config.json").is_file():
                hf_hub_download(
                    repo_id, "config.json", revision=sha, local_dir=staging, token=token
                )
                reporter.add(wanted["config.json"])
            _custom_code(staging / "config.json", repo_id)
        snapshot_download(
            repo_id,
            revision=sha,
            local_dir=staging,
            allow_patterns=sorted(wanted),
            token=token,
            max_workers=4,
            tqdm_class=bar_class(reporter.add),
        )
    except _network_errors() as error:
        raise _reachable_error(error, repo_id) from None
    shutil.rmtree(staging / ".cache", ignore_errors=True)  # the client's resume notes
    staging.rename(destination)
    reporter.emit("downloading", reporter.total, reporter.total)
    return destination


def main(repo_id: str, destination: Path, revision: str | None, out: TextIO) -> int:
    def fail(kind: str, message: str, trace: str = "") -> int:
        out.write(encode(make_event("failed", kind=kind, error=message, traceback=trace)) + "\n")
        out.flush()
        return EXIT_FAILED

    try:
        folder = download(repo_id, destination.resolve(), revision, out)
    except RefusedError as refused:
        print(f"refused: {refused}", file=sys.stderr)
        if refused.discard:
            shutil.rmtree(partial_download_folder(destination.resolve()), ignore_errors=True)
        return fail(refused.kind, str(refused))
    except Exception as error:
        traceback.print_exc()
        return fail("internal", f"{type(error).__name__}: {error}", traceback.format_exc())
    out.write(encode(make_event("completed", step=0, output_path=str(folder), final={})) + "\n")
    out.flush()
    return EXIT_COMPLETED

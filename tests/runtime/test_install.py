"""The private runtime's installer on real wheels, real files and a real HTTP server; the
check step imports the installed package in a real subprocess. (torch itself is too large
for these tests: packaging/build.py installs the real one from the frozen app.)"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.errors import UserError
from app.runtime.download import fetch
from app.runtime.install import install_runtime, remove_runtime
from app.runtime.location import RuntimeLocation, runtime_status
from app.runtime.resolve import Artifact, Cancelled, Offline
from app.runtime.variants import Variant
from tests.runtime.wheels import make_wheel, make_wheelhouse, sha256

CPU = Variant("cpu", "test")


def import_check(package: str):
    """The installer's check: a new Python imports `package` from the staged site."""

    def check(site: Path) -> dict[str, Any]:
        code = (
            f"import sys; sys.path.insert(0, {str(site)!r}); "
            f"import {package}; print({package}.VERSION)"
        )
        done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"The installed PyTorch does not start: {done.stderr.strip()}")
        return {"torch": done.stdout.strip(), "cuda": None}

    return check


@pytest.fixture
def location(tmp_path: Path) -> RuntimeLocation:
    return RuntimeLocation(tmp_path / "data" / "runtime")


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    folder = tmp_path / "wheelhouse"
    wheels = [
        make_wheel(folder, "sparkfake", "2.13.0"),
        make_wheel(
            folder,
            "sparktool",
            files={
                "sparktool/__init__.py": "VERSION = '1'\n",
                "sparktool/bin/helper": "#!/bin/sh\n",
                "sparktool-1.0.data/purelib/sparkextra.py": "VERSION = 'x'\n",
                "sparktool-1.0.data/scripts/tool": "#!/bin/sh\n",
            },
            executable=("sparktool/bin/helper",),
        ),
    ]
    return make_wheelhouse(folder, wheels)


def test_an_install_from_a_wheelhouse_is_usable_only_once_complete(
    location: RuntimeLocation, wheelhouse: Path
) -> None:
    seen: list[tuple[str, int, int]] = []
    status = install_runtime(
        location,
        CPU,
        lambda *p: seen.append(p),
        lambda: False,
        wheelhouse,
        import_check("sparkfake"),
    )
    assert status.source == "private" and status.torch_version == "2.13.0"
    assert runtime_status(location, environment="").source == "private"
    site = location.site
    assert (site / "sparkfake" / "__init__.py").is_file()
    assert (site / "sparkextra.py").is_file()  # .data/purelib lands in the site
    assert not (site / "sparktool-1.0.data").exists() and not (site / "tool").exists()
    assert (site / "sparktool" / "bin" / "helper").stat().st_mode & 0o100
    manifest = json.loads(location.manifest.read_text())
    assert manifest["variant"] == "cpu" and manifest["torch"] == "2.13.0"
    assert not location.staging.exists() and not location.downloads.exists()
    phases = [phase for phase, _done, _total in seen]
    assert phases[0].startswith("Checking 1 of 2: sparkfake") and "Installing" in phases
    assert phases[-1] == "Checking that PyTorch starts"
    # A reinstall replaces the runtime whole.
    (site / "left-over.txt").write_text("from the first install")
    install_runtime(
        location, CPU, lambda *_: None, lambda: False, wheelhouse, import_check("sparkfake")
    )
    assert not (site / "left-over.txt").exists() and (site / "sparkfake").is_dir()
    assert list(location.root.iterdir()) == [location.folder]
    assert remove_runtime(location) and runtime_status(location, environment="").source == "missing"


def test_a_runtime_that_does_not_import_is_never_marked_installed(
    location: RuntimeLocation, wheelhouse: Path
) -> None:
    with pytest.raises(UserError, match="does not start"):
        install_runtime(
            location, CPU, lambda *_: None, lambda: False, wheelhouse, import_check("missing_pkg")
        )
    assert runtime_status(location, environment="").source == "missing"
    assert not location.manifest.exists()


def test_cancel_leaves_nothing_usable_and_the_next_install_starts_clean(
    location: RuntimeLocation, wheelhouse: Path
) -> None:
    calls = 0

    def cancelled() -> bool:
        nonlocal calls
        calls += 1
        return True

    with pytest.raises(Cancelled):
        install_runtime(
            location, CPU, lambda *_: None, cancelled, wheelhouse, import_check("sparkfake")
        )
    assert calls and location.staging.exists()  # ours, half-made: removed by the next start
    assert runtime_status(location, environment="").source == "missing"
    location.folder.mkdir(parents=True)  # a folder a kill left without its manifest
    (location.folder / "stale.txt").write_text("x")
    install_runtime(
        location, CPU, lambda *_: None, lambda: False, wheelhouse, import_check("sparkfake")
    )
    assert not (location.folder / "stale.txt").exists() and not location.staging.exists()


def test_a_damaged_wheel_is_refused_before_anything_is_unpacked(
    location: RuntimeLocation, wheelhouse: Path
) -> None:
    wheel = next(wheelhouse.glob("sparkfake-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    with pytest.raises(UserError, match=f"{wheel.name}.*sha256"):
        install_runtime(
            location, CPU, lambda *_: None, lambda: False, wheelhouse, import_check("sparkfake")
        )
    assert not location.staging.exists() and not location.folder.exists()


def test_a_wheel_reaching_outside_the_site_is_refused(
    location: RuntimeLocation, tmp_path: Path
) -> None:
    folder = tmp_path / "evil"
    wheel = make_wheel(folder, "evil", files={"../../outside.py": "x = 1\n"})
    make_wheelhouse(folder, [wheel])
    with pytest.raises(UserError, match="outside the archive"):
        install_runtime(location, CPU, lambda *_: None, lambda: False, folder, import_check("evil"))
    assert not (location.root / "outside.py").exists() and not (tmp_path / "outside.py").exists()
    assert runtime_status(location, environment="").source == "missing"


def test_a_wheelhouse_for_another_python_is_refused_by_name(
    location: RuntimeLocation, wheelhouse: Path
) -> None:
    manifest_file = wheelhouse / "wheelhouse.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["python"] = "cp39-win_amd64"
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="cp39-win_amd64"):
        install_runtime(location, CPU, lambda *_: None, lambda: False, wheelhouse)


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves one file, honouring `Range: bytes=N-` as download servers do."""

    body = b""
    ranges: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        wanted = self.headers.get("Range")
        start = int(wanted.removeprefix("bytes=").rstrip("-")) if wanted else 0
        type(self).ranges.append(wanted or "")
        part = self.body[start:]
        self.send_response(206 if wanted else 200)
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    thread.join()


def _served(server: http.server.HTTPServer, folder: Path, text: str) -> tuple[Path, str]:
    """A wheel holding `text`, served by `server`, and its address."""
    wheel = make_wheel(folder / "src", "sparkfake", files={"sparkfake/big.py": text})
    RangeHandler.body, RangeHandler.ranges = wheel.read_bytes(), []
    return wheel, f"http://127.0.0.1:{server.server_port}/{wheel.name}"


def test_a_download_resumes_where_it_stopped_and_is_verified(
    server: http.server.HTTPServer, tmp_path: Path
) -> None:
    wheel, url = _served(server, tmp_path, "x" * 300_000)
    artifact = Artifact("sparkfake", "1.0", url, sha256(wheel))
    cache = tmp_path / "downloads"
    cache.mkdir()
    half = len(RangeHandler.body) // 2
    (cache / f"{wheel.name}.part").write_bytes(RangeHandler.body[:half])  # an interrupted try
    done: list[int] = []
    got = fetch(artifact, cache, lambda d, _t: done.append(d), lambda: False)
    assert got.read_bytes() == wheel.read_bytes()
    assert RangeHandler.ranges == [f"bytes={half}-"]
    assert not (cache / f"{wheel.name}.part").exists()
    assert fetch(artifact, cache, lambda *_: None, lambda: False) == got  # cached: no request
    assert RangeHandler.ranges == [f"bytes={half}-"]


def test_cancel_during_a_download_keeps_the_part_for_the_next_try(
    server: http.server.HTTPServer, tmp_path: Path
) -> None:
    wheel, url = _served(server, tmp_path, "y" * 3_000_000)
    chunks = 0

    def cancelled() -> bool:
        nonlocal chunks
        chunks += 1
        return chunks > 1

    with pytest.raises(Cancelled):
        fetch(
            Artifact("sparkfake", "1.0", url, sha256(wheel)), tmp_path, lambda *_: None, cancelled
        )
    assert (tmp_path / f"{wheel.name}.part").stat().st_size > 0
    assert not (tmp_path / wheel.name).exists()


def test_no_network_is_said_plainly_with_what_to_do(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    artifact = Artifact("torch", "2.13.0", f"http://127.0.0.1:{port}/torch.whl")
    with pytest.raises(Offline) as raised:
        fetch(artifact, tmp_path, lambda *_: None, lambda: False)
    assert "No network connection" in raised.value.message
    assert "offline bundle" in raised.value.hint

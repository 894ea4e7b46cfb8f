"""A stand-in for the Hugging Face Hub on 127.0.0.1, for tests: there is no network here.

It answers the few routes huggingface_hub's own download machinery uses (repo info, the
tree listing, `resolve/` with HEAD and ranged GET), so the client under test is the real
one, pointed here by HF_ENDPOINT. The body of the file named `held` waits until the test
sets `gate`, which is how a test stops a download in the middle.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class FakeHub:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    token: str | None = None
    """Required for every repo when set, as a gated or private repo does."""
    held: str | None = None
    """A file whose body is sent only once `gate` is set."""
    gate: threading.Event = field(default_factory=threading.Event)
    requests: list[str] = field(default_factory=list)
    url: str = ""
    stalled: threading.Event = field(default_factory=threading.Event)
    """Set once the held file's download waits at the gate."""

    def add_folder(self, repo_id: str, folder: Path) -> None:
        self.repos[repo_id] = {
            str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }


def _oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _json(self, value: object, status: int = 200) -> None:
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _refuse(self, status: int, message: str) -> None:
            body = json.dumps({"error": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Error-Message", message)
            if status == 404:
                self.send_header("X-Error-Code", "RepoNotFound")
            elif status == 401:  # as the Hub answers for a gated repo without a token
                self.send_header("X-Error-Code", "GatedRepo")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _authorised(self) -> bool:
            if hub.token is None:
                return True
            return self.headers.get("Authorization") == f"Bearer {hub.token}"

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = unquote(urlparse(self.path).path)
            ranged = self.headers.get("Range")
            hub.requests.append(f"{self.command} {path}" + (f" {ranged}" if ranged else ""))
            if path.startswith("/api/models/"):
                self._api(path.removeprefix("/api/models/"))
            elif "/resolve/" in path:
                repo_id, _, rest = path.lstrip("/").partition("/resolve/")
                self._file(repo_id, rest.partition("/")[2])
            else:
                self._refuse(404, f"no route {path}")

        def _api(self, rest: str) -> None:
            for marker in ("/revision/", "/tree/"):
                if marker in rest:
                    repo_id = rest.partition(marker)[0]
                    break
            else:
                repo_id = rest
            files = hub.repos.get(repo_id)
            if files is None or not self._authorised():
                self._refuse(404 if files is None else 401, f"Repository {repo_id} not found")
                return
            if "/tree/" in rest:
                self._json(
                    [
                        {"type": "file", "path": name, "size": len(data), "oid": _oid(data)}
                        for name, data in sorted(files.items())
                    ]
                )
                return
            self._json(
                {
                    "id": repo_id,
                    "modelId": repo_id,
                    "sha": SHA,
                    "private": hub.token is not None,
                    "siblings": [{"rfilename": name} for name in sorted(files)],
                }
            )

        def _file(self, repo_id: str, name: str) -> None:
            files = hub.repos.get(repo_id)
            if files is None or name not in files or not self._authorised():
                self._refuse(404 if files is None or name not in files else 401, "not found")
                return
            data = files[name]
            start = 0
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start = int(ranged.removeprefix("bytes=").split("-")[0] or 0)
            self.send_response(206 if start else 200)
            self.send_header("X-Repo-Commit", SHA)
            self.send_header("ETag", f'"{_oid(data)}"')
            self.send_header("Content-Length", str(len(data) - start))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if self.command == "HEAD":
                return
            if name == hub.held:
                self.wfile.flush()
                hub.stalled.set()
                hub.gate.wait()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data[start:])

    return Handler


@contextmanager
def serve(hub: FakeHub) -> Iterator[FakeHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        hub.gate.set()
        server.shutdown()
        server.server_close()

"""One running SparkTrainer per data directory.

A lock file decides who is first (Qt removes a lock whose owner died), and a
local socket named after the data directory carries messages from later
launches to the first: "activate" brings its window to the front, and
`job …` commands hand their work to the scheduler that runs there
(DESIGN.md §1: one scheduler at a time). A message may get a reply: one JSON
line back on the same connection.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import socket as socket_module
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.errors import UserError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 2_000
REPLY_TIMEOUT_MS = 30_000
Reply = dict[str, Any]
Handler = Callable[
    [dict[str, Any]], "Reply | Callable[[Callable[[Reply | None], None]], None] | None"
]
"""A reply now, None (not ready), or a function that is given `respond` and calls it later."""


def socket_name(data_root: Path) -> str:
    """Unique per user and data directory. On POSIX a path in a folder only this user can
    enter (another local user cannot take the name first, nor connect); socket paths are
    limited to ~100 bytes, hence the digest."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    digest = hashlib.sha256(f"{user}:{data_root.resolve()}".encode()).hexdigest()[:16]
    name = f"sparktrainer-{digest}"
    if not hasattr(socket_module, "AF_UNIX") or os.name != "posix":
        return name  # Windows: a named pipe, which Qt creates for this user only
    return str(runtime_dir() / name)


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR when it is this user's private folder, else a 0700 folder of ours
    in the temp folder. A folder of that name that another user made is never used."""
    uid = os.getuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and _private_to_us(Path(xdg), uid):
        return Path(xdg)
    folder = Path(QDir.tempPath()) / f"sparktrainer-{uid}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if info.st_uid != uid or not folder.is_dir() or folder.is_symlink():
        raise UserError(
            f"{folder} belongs to another user or is not a folder; SparkTrainer will not put "
            "its socket there.",
            "Ask the administrator to remove it, or set XDG_RUNTIME_DIR to a private folder.",
        )
    if info.st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def _private_to_us(folder: Path, uid: int) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    return folder.is_dir() and info.st_uid == uid and not info.st_mode & 0o077


def peer_is_us(socket: QLocalSocket) -> bool:
    """Whether the process at the other end of a connected socket runs as this user
    (Linux's SO_PEERCRED; elsewhere the private folder is the guard)."""
    option = getattr(socket_module, "SO_PEERCRED", None)
    descriptor = int(socket.socketDescriptor())
    if option is None or descriptor < 0:
        return True
    probe = socket_module.socket(fileno=os.dup(descriptor))
    try:
        credentials = probe.getsockopt(socket_module.SOL_SOCKET, option, struct.calcsize("3i"))
    finally:
        probe.close()
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _connect(name: str, timeout_ms: int) -> QLocalSocket | None:
    """A connection to the running instance, or None when none runs; an instance that
    runs as another user is refused."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return None
    if not peer_is_us(socket):
        socket.abort()
        raise UserError(
            f"The SparkTrainer socket {name} is served by another user; nothing was sent.",
        )
    return socket


def send_message(name: str, message: dict[str, Any], timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """Deliver one message to the running instance; False when none answers."""
    socket = _connect(name, timeout_ms)
    if socket is None:
        return False
    socket.write(QByteArray(json.dumps(message).encode() + b"\n"))
    ok = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return ok


def request(
    name: str, message: dict[str, Any], timeout_ms: int = REPLY_TIMEOUT_MS
) -> dict[str, Any] | None:
    """Send one message and wait for its reply; None when no instance runs.

    Raises `TimeoutError` when an instance took the message but did not answer.
    """
    socket = _connect(name, CONNECT_TIMEOUT_MS)
    if socket is None:
        return None
    socket.write(QByteArray(json.dumps({**message, "reply": True}).encode() + b"\n"))
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    data = b""
    while b"\n" not in data:
        if not socket.waitForReadyRead(timeout_ms):
            socket.abort()
            raise TimeoutError("the running SparkTrainer did not answer")
        data += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    reply = json.loads(data.split(b"\n", 1)[0])
    return reply if isinstance(reply, dict) else {"ok": False, "error": "malformed reply"}


def sweep_stale_sockets(folder: Path | None = None) -> list[Path]:
    """Remove the socket files that killed SparkTrainers left in the temp folder (one per
    data directory, so another directory's start never cleans them up). A file is stale
    when nothing listens on it any more: a live instance's socket always accepts."""
    if not hasattr(socket_module, "AF_UNIX"):
        return []  # Windows: named pipes vanish with their process
    folder = folder or runtime_dir()
    removed = []
    try:
        candidates = [p for p in folder.glob("sparktrainer-*") if p.is_socket()]
    except OSError:
        return []
    for path in candidates:
        try:
            if path.stat().st_uid != os.getuid():
                continue  # another user's: not ours to judge
        except OSError:
            continue
        probe = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
        try:
            probe.settimeout(0.5)
            probe.connect(str(path))
        except ConnectionRefusedError:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
        except OSError:
            pass  # busy or unreadable: leave it
        finally:
            probe.close()
    if removed:
        log.info("Removed %d stale single-instance socket(s)", len(removed))
    return removed


class SingleInstance(QObject):
    """Holds the lock and serves the socket while this process is the primary one."""

    message_received = Signal(object)  # a dict; `object` passes it without a conversion

    def __init__(self, data_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = socket_name(data_root)
        self._lock = QLockFile(str(data_root / "instance.lock"))
        self._lock.setStaleLockTime(0)  # stale only when the owner pid is gone
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}
        self.handler: Handler | None = None
        """Answers messages that ask for a reply (`request`); set by whoever serves them."""

    def acquire(self) -> bool:
        """True when this process is now the only instance and listens for others."""
        if not self._lock.tryLock(0):
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crash
        sweep_stale_sockets()
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning("Single-instance socket %s: %s", self.name, server.errorString())
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        # However this process ends (an error, Ctrl-C), its socket file goes with it.
        atexit.register(self.release)
        return True

    def release(self) -> None:
        """Stop serving, remove the socket file and unlock; safe to call again."""
        atexit.unregister(self.release)
        if self._server is not None:
            with contextlib.suppress(RuntimeError):  # Qt already deleted it at teardown
                self._server.close()
            self._server = None
            QLocalServer.removeServer(self.name)
        with contextlib.suppress(RuntimeError):
            self._lock.unlock()

    def _on_new_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._on_disconnected(s))

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        *lines, rest = data.split(b"\n")
        self._buffers[socket] = rest
        for line in lines:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("Ignored a malformed single-instance message: %r", line[:200])
                continue
            if not isinstance(message, dict):
                continue
            if message.pop("reply", False):
                self._reply(socket, message)
            else:
                self.message_received.emit(message)

    def _reply(self, socket: QLocalSocket, message: dict[str, Any]) -> None:
        try:
            reply = self.handler(message) if self.handler is not None else None
        except Exception as error:  # the asking process reports it; this one carries on
            log.exception("Handling %s", message.get("command"))
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        if callable(reply):  # answered later, when work done off the GUI thread ends
            reply(lambda answer: self._send_reply(socket, answer))
            return
        self._send_reply(socket, reply)

    def _send_reply(self, socket: QLocalSocket, reply: dict[str, Any] | None) -> None:
        if reply is None:
            # Not serving yet (the handler is set once the database is open): the asking
            # process waits and asks again rather than failing.
            reply = {"ok": False, "starting": True, "error": "SparkTrainer is still starting"}
        if socket not in self._buffers:
            return  # the asking process went away meanwhile
        socket.write(QByteArray(json.dumps(reply).encode() + b"\n"))
        socket.flush()

    def _on_disconnected(self, socket: QLocalSocket) -> None:
        if socket.bytesAvailable():
            self._on_ready_read(socket)
        self._buffers.pop(socket, None)
        socket.deleteLater()

"""One running SparkTrainer per data directory.

A lock file decides who is first (Qt removes a lock whose owner died), and a
local socket named after the data directory carries messages from later
launches to the first: "activate" brings its window to the front, and later
issues send work through the same channel (DESIGN.md §1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 2_000


def socket_name(data_root: Path) -> str:
    """Short and unique per user and data directory (socket paths are limited to ~100 bytes)."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    digest = hashlib.sha256(f"{user}:{data_root.resolve()}".encode()).hexdigest()[:16]
    return f"sparktrainer-{digest}"


def send_message(name: str, message: dict[str, Any], timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """Deliver one message to the running instance; False when none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(QByteArray(json.dumps(message).encode() + b"\n"))
    ok = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return ok


class SingleInstance(QObject):
    """Holds the lock and serves the socket while this process is the primary one."""

    message_received = Signal(dict)

    def __init__(self, data_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = socket_name(data_root)
        self._lock = QLockFile(str(data_root / "instance.lock"))
        self._lock.setStaleLockTime(0)  # stale only when the owner pid is gone
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def acquire(self) -> bool:
        """True when this process is now the only instance and listens for others."""
        if not self._lock.tryLock(0):
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crash
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning("Single-instance socket %s: %s", self.name, server.errorString())
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
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
            if isinstance(message, dict):
                self.message_received.emit(message)

    def _on_disconnected(self, socket: QLocalSocket) -> None:
        if socket.bytesAvailable():
            self._on_ready_read(socket)
        self._buffers.pop(socket, None)
        socket.deleteLater()

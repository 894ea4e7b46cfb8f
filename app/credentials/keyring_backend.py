"""Finding a secure OS keyring without hanging and without a plaintext fallback.

keyring silently prefers keyrings.alt's PlaintextKeyring (no encryption) or
EncryptedKeyring (no MAC, prompts on the terminal) when no Secret Service
runs, and `import keyring` can hang where DISPLAY points at no X server. So
the probe runs in a daemon thread with a time limit, and only the platforms'
secure backends are accepted.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "sparktrainer"
PROBE_SECONDS = 5.0
SECURE_BACKENDS = {
    "keyring.backends.SecretService.Keyring": "Secret Service (GNOME Keyring / KWallet)",
    "keyring.backends.libsecret.Keyring": "libsecret",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
}


@dataclass(frozen=True)
class ProbeResult:
    backend: Any | None
    description: str
    """What holds the secrets, or why no secure keyring is available."""


def _qualified(backend: Any) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _probe() -> ProbeResult:
    import keyring
    from keyring.backend import get_all_keyring

    # keyring decides once per process which backends are viable: a probe made before
    # the Secret Service came up (a session still starting) would hide it for ever.
    with contextlib.suppress(AttributeError, KeyError):  # nothing saved yet
        get_all_keyring.reset()
    candidates = sorted(
        (b for b in get_all_keyring() if _qualified(b) in SECURE_BACKENDS and b.priority > 0),
        key=lambda b: b.priority,
        reverse=True,
    )
    for backend in candidates:
        try:
            backend.get_password(SERVICE, "__probe__")  # reaches the daemon, may unlock
        except Exception as error:
            log.info("Keyring %s unusable: %s", _qualified(backend), error)
            continue
        del keyring
        return ProbeResult(backend, SECURE_BACKENDS[_qualified(backend)])
    return ProbeResult(None, "no secure OS keyring is available")


def probe_keyring(timeout: float = PROBE_SECONDS) -> ProbeResult:
    """Blocking for at most `timeout` seconds: call it off the GUI thread."""
    result: list[ProbeResult] = []

    def run() -> None:
        try:
            result.append(_probe())
        except Exception as error:
            result.append(ProbeResult(None, f"the keyring could not be used ({error})"))

    thread = threading.Thread(target=run, name="keyring-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if not result:
        return ProbeResult(None, f"the keyring did not answer within {timeout:.0f} s")
    return result[0]

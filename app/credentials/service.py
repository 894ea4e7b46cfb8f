"""The credentials service: one API over the OS keyring or the encrypted file store."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.credentials import redaction
from app.credentials.encrypted_store import EncryptedFileStore
from app.credentials.keyring_backend import SERVICE, ProbeResult, probe_keyring
from app.errors import UserError
from app.paths import DataPaths
from engine.protocol import REDACT_ENV, clean_secret

log = logging.getLogger(__name__)

HUGGINGFACE, WANDB = "huggingface", "wandb"
WELL_KNOWN = {HUGGINGFACE: "Hugging Face token", WANDB: "Weights & Biases API key"}
ENVIRONMENT = {HUGGINGFACE: "HF_TOKEN", WANDB: "WANDB_API_KEY"}
PASSPHRASE_ENV = "SPARKTRAINER_SECRETS_PASSPHRASE"
_INDEX = "__names__"


def environment_name(name: str) -> str:
    """The variable a secret reaches the engine in: HF_TOKEN, WANDB_API_KEY, or
    SPARKTRAINER_SECRET_<NAME> for a custom one."""
    return ENVIRONMENT.get(name) or "SPARKTRAINER_SECRET_" + "".join(
        c if c.isalnum() else "_" for c in name.upper()
    )


def check_name(name: str) -> str:
    name = name.strip()
    if not name or name.startswith("__") or len(name) > 64:
        raise UserError(
            f"{name!r} is not a usable secret name.",
            "Use up to 64 characters, not starting with two underscores.",
        )
    return name


class CredentialService(QObject):
    """Call `probe()` (blocking, off the GUI thread) before anything else."""

    store_changed = Signal(str)
    """A description of where secrets are kept now."""
    secrets_changed = Signal()

    def __init__(self, paths: DataPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._file = EncryptedFileStore(paths.root / "secrets.enc")
        self._probe: ProbeResult | None = None
        self.passphrase_prompt: Callable[[], str | None] | None = None
        """Asks for a locked store's passphrase (a headless runner's terminal); asked once."""
        self._prompted = False

    # -- where -----------------------------------------------------------------------------

    def probe(self, timeout: float | None = None) -> ProbeResult:
        result = probe_keyring() if timeout is None else probe_keyring(timeout)
        self._probe = result
        if result.backend is None:
            passphrase = os.environ.get(PASSPHRASE_ENV)
            if passphrase and not self._file.unlocked:
                # Set on purpose for this process: it confirms itself.
                self._file.unlock(passphrase, confirmation=passphrase)
        log.info("Secrets are kept in: %s", self.store_description)
        self.store_changed.emit(self.store_description)
        return result

    @property
    def probed(self) -> bool:
        return self._probe is not None

    @property
    def uses_keyring(self) -> bool:
        return self._probe is not None and self._probe.backend is not None

    @property
    def store_description(self) -> str:
        if self._probe is None:
            return "looking for the OS keyring…"
        if self._probe.backend is not None:
            return f"the OS keyring: {self._probe.description}"
        state = "unlocked" if self._file.unlocked else "locked"
        return f"an encrypted file ({self._file.path}, {state}) because {self._probe.description}"

    @property
    def needs_passphrase(self) -> bool:
        return self._probe is not None and self._probe.backend is None and not self._file.unlocked

    @property
    def file_store_exists(self) -> bool:
        return self._file.exists

    def unlock(self, passphrase: str, confirmation: str | None = None) -> None:
        """Open the encrypted store; creating it needs the passphrase twice."""
        self._file.unlock(passphrase, confirmation)
        self.store_changed.emit(self.store_description)
        self.secrets_changed.emit()

    def job_environment(self, needed: list[str]) -> dict[str, str]:
        """The environment carrying a job's secrets. A locked encrypted store is opened
        with `passphrase_prompt`, asked once per process; if it stays locked the job
        cannot get its secret: UserError, said once, for that job alone."""
        if not needed or (self.needs_passphrase and not self._file.exists):
            return {}  # no keyring and no store yet: no token anywhere (a public model runs)
        if self.needs_passphrase and self.passphrase_prompt is not None and not self._prompted:
            self._prompted = True
            passphrase = self.passphrase_prompt()
            if passphrase:
                self.unlock(passphrase)
        if self.needs_passphrase:
            raise UserError(
                "The job needs a token from the secret store, which is locked.",
                f"Unlock it in Settings → Accounts and tokens (or set {PASSPHRASE_ENV}), "
                "then retry the job.",
            )
        return self.engine_environment(needed)

    # -- what ------------------------------------------------------------------------------

    def _keyring(self) -> Any:
        if self._probe is None:
            raise UserError("The secret store is not ready yet.", "Try again in a moment.")
        return self._probe.backend

    def get(self, name: str) -> str | None:
        keyring = self._keyring()
        value = keyring.get_password(SERVICE, name) if keyring else self._file.get(name)
        redaction.REDACTOR.add(value)
        return value

    def set(self, name: str, value: str) -> None:
        name = check_name(name)
        value = clean_secret(value)  # piped with CRLF, or pasted with a newline
        if not value:
            raise UserError(f"The value for {name} is empty.", "Paste the token, then save.")
        redaction.REDACTOR.add(value)
        keyring = self._keyring()
        if keyring:
            keyring.set_password(SERVICE, name, value)
            self._write_index(sorted(set(self.names()) | {name}))
        else:
            self._file.set(name, value)
        self.secrets_changed.emit()

    def delete(self, name: str) -> None:
        backend = self._keyring()
        if backend:
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):  # already gone is fine
                backend.delete_password(SERVICE, name)
            self._write_index([n for n in self.names() if n != name])
        else:
            self._file.delete(name)
        self.secrets_changed.emit()

    def names(self) -> list[str]:
        keyring = self._keyring()
        if not keyring:
            return self._file.names()
        stored = keyring.get_password(SERVICE, _INDEX)
        return json.loads(stored) if stored else []

    def _write_index(self, names: list[str]) -> None:
        self._keyring().set_password(SERVICE, _INDEX, json.dumps(names))

    def engine_environment(self, needed: Iterable[str]) -> dict[str, str]:
        """The variables to start an engine with, for the secrets this job needs only;
        the engine redacts their values from its events and log."""
        environment = {}
        for name in needed:
            value = self.get(name)
            if value:
                environment[environment_name(name)] = value
        if environment:
            environment[REDACT_ENV] = ",".join(sorted(environment))
        return environment


_NETWORK_ERRORS = {
    "ConnectError",
    "ConnectionError",
    "NetworkError",
    "TransportError",
    "TimeoutException",
    "Timeout",
    "OfflineModeIsEnabled",
}


def _is_network_error(error: BaseException) -> bool:
    return isinstance(error, OSError) or any(
        kind.__name__ in _NETWORK_ERRORS for kind in type(error).__mro__
    )


def check_huggingface_token(token: str) -> str:
    """Who the token belongs to, asked of the Hub; a clear UserError when offline or refused."""
    from huggingface_hub import whoami

    try:
        info = whoami(token=token)
    except Exception as error:
        if _is_network_error(error):
            raise UserError(
                "Offline: the Hugging Face Hub could not be reached, so the token was not checked.",
                "It is saved; test it again when online.",
            ) from error
        if "401" in str(error) or "Unauthorized" in str(error):
            raise UserError(
                "The Hugging Face Hub refused this token.",
                "Create a new token at huggingface.co/settings/tokens.",
            ) from error
        raise
    return str(info.get("name", "unknown user"))

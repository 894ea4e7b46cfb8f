"""The fallback store: one file, AES-GCM under a key derived with scrypt from a passphrase.

The file is written to a temporary file and renamed into place with mode 0600;
a wrong passphrase or a damaged file is an error that never overwrites it.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from app.errors import UserError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
"""The cost of a new (or upgraded) store: 2^17 × 8 is 128 MiB and about 0.4 s per unlock."""
FORMAT = "sparktrainer-secrets/1"
MIN_PASSPHRASE = 10


def check_new_passphrase(passphrase: str, confirmation: str | None) -> None:
    """A new store's passphrase: long enough, and typed the same twice."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserError(
            f"The passphrase is {len(passphrase)} characters long; a new secret store needs "
            f"at least {MIN_PASSPHRASE}.",
            "A few unrelated words make a passphrase that is long and easy to remember.",
        )
    if confirmation != passphrase:
        raise UserError(
            "The two passphrases differ; nothing was created.", "Type the same one twice."
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


class EncryptedFileStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None
        self._salt: bytes | None = None
        self._kdf: tuple[int, int, int] = (SCRYPT_N, SCRYPT_R, SCRYPT_P)
        """The scrypt parameters the key was derived with: what _write records."""
        self._secrets: dict[str, str] = {}

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def unlock(self, passphrase: str, confirmation: str | None = None) -> None:
        """Open an existing store, or create an empty one protected by `passphrase` (which
        must then be long enough and equal `confirmation`). A store derived with cheaper
        scrypt parameters than today's is re-encrypted with today's once opened."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not passphrase:
            raise UserError("The passphrase is empty.", "Choose a passphrase to protect tokens.")
        if not self.path.exists():
            check_new_passphrase(passphrase, confirmation)
            self._secrets = {}
            self._rekey(passphrase)
            return
        try:
            document = json.loads(self.path.read_text())
            if document.get("format") != FORMAT:
                raise ValueError("unknown format")
            kdf = document["kdf"]
            salt = base64.b64decode(document["salt"])
            nonce = base64.b64decode(document["nonce"])
            ciphertext = base64.b64decode(document["ciphertext"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UserError(
                f"The secret store {self.path} is damaged ({error}).",
                "It was left untouched. Restore it from a backup, or move it away to start a "
                "new one.",
            ) from error
        used = (int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        key = _derive(passphrase, salt, *used)
        try:
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, FORMAT.encode())
        except InvalidTag as error:
            raise UserError(
                "Wrong passphrase for the secret store, or the file was altered.",
                "Nothing was changed. Try the passphrase again.",
            ) from error
        self._key, self._salt, self._kdf = key, salt, used
        self._secrets = json.loads(plaintext)
        if used[0] < SCRYPT_N or used[1] < SCRYPT_R:
            self._rekey(passphrase)  # an older, cheaper store: upgraded in place

    def _rekey(self, passphrase: str) -> None:
        """A new salt and a key derived with today's parameters; the file rewritten."""
        self._salt = os.urandom(16)
        self._kdf = (SCRYPT_N, SCRYPT_R, SCRYPT_P)
        self._key = _derive(passphrase, self._salt, *self._kdf)
        self._write()

    def _require(self) -> None:
        if self._key is None:
            raise UserError("The secret store is locked.", "Enter its passphrase first.")

    def get(self, name: str) -> str | None:
        self._require()
        return self._secrets.get(name)

    def set(self, name: str, value: str) -> None:
        self._require()
        self._secrets[name] = value
        self._write()

    def delete(self, name: str) -> None:
        self._require()
        if self._secrets.pop(name, None) is not None:
            self._write()

    def names(self) -> list[str]:
        self._require()
        return sorted(self._secrets)

    def _write(self) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self._key is not None and self._salt is not None
        nonce = os.urandom(12)  # fresh for every write: GCM must never reuse one
        ciphertext = AESGCM(self._key).encrypt(
            nonce, json.dumps(self._secrets).encode(), FORMAT.encode()
        )
        document = {
            "format": FORMAT,
            "kdf": {"name": "scrypt", "n": self._kdf[0], "r": self._kdf[1], "p": self._kdf[2]},
            "salt": _b64(self._salt),
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

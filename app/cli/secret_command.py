"""`sparktrainer secret`: tokens in the OS keyring (or the encrypted file) from a terminal.

Values are read from the terminal without echo (or from stdin when piped), never
from argv, where other users could see them in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from app.errors import UserError
from app.paths import data_paths

if TYPE_CHECKING:
    from app.credentials.service import CredentialService


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("secret", help="tokens for the Hub, W&B and others")
    actions = parser.add_subparsers(dest="secret_action", metavar="ACTION", required=True)
    actions.add_parser("store", help="say where secrets are kept").set_defaults(func=_store)
    actions.add_parser("list", help="the names of stored secrets").set_defaults(func=_list)
    put = actions.add_parser("set", help="store a secret; the value is read without echo")
    put.add_argument("name", help="huggingface, wandb, or a name of your own")
    put.set_defaults(func=_set)
    delete = actions.add_parser("delete", help="remove a secret")
    delete.add_argument("name")
    delete.set_defaults(func=_delete)


def _service() -> CredentialService:
    from app.credentials.service import CredentialService

    service = CredentialService(data_paths())
    service.probe()
    if service.needs_passphrase:
        prompt = (
            "Passphrase of the secret store: "
            if service.file_store_exists
            else "No OS keyring here. Choose a passphrase for an encrypted store: "
        )
        if not sys.stdin.isatty():  # over a pipe or cron: getpass would die with EOFError
            from app.credentials.service import PASSPHRASE_ENV

            raise UserError(
                "The secret store is an encrypted file and there is no terminal to ask "
                "for its passphrase.",
                f"Run the command in a terminal, or set {PASSPHRASE_ENV} for it.",
            )
        passphrase = getpass.getpass(prompt)
        confirmation = (
            None if service.file_store_exists else getpass.getpass("The same passphrase again: ")
        )
        service.unlock(passphrase, confirmation)
    return service


def _store(_args: argparse.Namespace) -> int:
    from app.credentials.service import CredentialService

    service = CredentialService(data_paths())
    service.probe()
    print(f"Secrets are kept in {service.store_description}.")
    return 0


def _list(_args: argparse.Namespace) -> int:
    def action() -> int:
        for name in _service().names():
            print(name)
        return 0

    return action()


def _set(args: argparse.Namespace) -> int:
    def action() -> int:
        service = _service()
        value = (
            getpass.getpass(f"Value for {args.name}: ")
            if sys.stdin.isatty()
            else sys.stdin.readline().rstrip("\r\n")
        )
        service.set(args.name, value)
        print(f"Saved {args.name} in {service.store_description}.")
        return 0

    return action()


def _delete(args: argparse.Namespace) -> int:
    def action() -> int:
        _service().delete(args.name)
        print(f"Deleted {args.name}.")
        return 0

    return action()

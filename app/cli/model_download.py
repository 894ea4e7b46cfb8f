"""`sparktrainer model download REPO`: a model from the Hugging Face Hub, registered as a
base. Ctrl+C stops it; the same command later resumes where it stopped."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli.terminal import shown
from app.errors import UserError
from app.units import human_bytes


def register(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "download", help="download a model from the Hugging Face Hub and register it"
    )
    parser.add_argument("repo_id", help="owner/name, or the model's huggingface.co address")
    parser.add_argument("--revision", help="a branch, tag or commit (default: main)")
    parser.add_argument(
        "--discard-partial",
        action="store_true",
        help="start over instead of resuming an unfinished download",
    )
    parser.set_defaults(func=_download)


def _secrets() -> dict[str, str]:
    """The Hugging Face token, for this download's process only (none is fine: public)."""
    from app.credentials.service import HUGGINGFACE, CredentialService
    from app.paths import data_paths

    credentials = CredentialService(data_paths().ensure())
    credentials.probe(timeout=10)
    if sys.stdin.isatty():
        credentials.passphrase_prompt = lambda: getpass.getpass(
            "Passphrase of the secret store (for the Hugging Face token): "
        )
    return credentials.job_environment([HUGGINGFACE])


def _download(args: argparse.Namespace) -> int:
    from app.cli.model_command import _registry
    from app.models.hub import download_blocking, partial_bytes

    registry = _registry()
    repo_id, folder = registry.download_target(args.repo_id)
    if args.discard_partial:
        freed = registry.discard_partial_download(repo_id)
        if freed:
            print(f"Discarded {human_bytes(freed)} of an unfinished download.")
    elif partial_bytes(folder):
        print(f"Resuming: {human_bytes(partial_bytes(folder))} are here already.")

    def progress(_phase: str, done: int, total: int) -> None:
        share = f"{100 * done / total:5.1f}%" if total else "     "
        end = "\n" if total and done >= total else ""
        print(f"\r  {share}  {human_bytes(done)} of {human_bytes(total)}", end=end, flush=True)

    try:
        download_blocking(repo_id, folder, args.revision, _secrets(), progress)
    except KeyboardInterrupt:
        print("\nStopped. Run the same command again to resume.", file=sys.stderr)
        return 130
    except UserError:
        print()
        raise
    model = registry.register_download(repo_id, folder)
    print(
        f"Downloaded model #{model.id}: {shown(model.name)} ({model.architecture}, "
        f"{model.parameters or 0:,} parameters, {human_bytes(model.size_bytes)}) in {folder}"
    )
    return 0

"""Extracting zip and tar archives without trusting them.

Every member is checked before a byte is written: no absolute paths, no `..`,
no links or devices (a link could point anywhere outside), and the declared
uncompressed size is bounded (a zip bomb declares its size or lies about it:
the bytes actually written are counted too, and extraction stops at the bound).
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from app.errors import UserError
from app.tasks import TaskState

MAX_UNCOMPRESSED = 64 * 1024**3
MAX_RATIO = 200
"""A member may expand at most this much; text compresses ~10×, a bomb ~1000×."""
MAX_MEMBERS = 1_000_000
MEMBER_BYTES = 16
"""Fewer compressed bytes than this per member (beyond the first 10,000 members) is an
archive of near-empty entries built to exhaust us, refused while its index is read."""
CHUNK = 1 << 20


def safe_name(archive: Path, name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    drive = bool(path.parts) and ":" in path.parts[0]  # C:\… from a Windows archive
    if path.is_absolute() or name.startswith(("/", "\\")) or drive:
        raise UserError(
            f"{archive.name}: member {name!r} has an absolute path; refused.",
            "Archives must hold relative paths only (a crafted archive can overwrite files).",
        )
    if ".." in path.parts:
        raise UserError(
            f"{archive.name}: member {name!r} points outside the archive ('..'); refused.",
            "Archives must hold relative paths only (a crafted archive can overwrite files).",
        )
    return path


def _check_total(archive: Path, declared: int, compressed: int, limit: int) -> None:
    if declared > limit:
        raise UserError(
            f"{archive.name}: it would expand to {declared / 1024**3:.1f} GiB, more than "
            f"the {limit / 1024**3:.0f} GiB allowed; refused."
        )
    if compressed and declared > max(compressed * MAX_RATIO, 64 * 1024**2):
        raise UserError(
            f"{archive.name}: it would expand {declared / compressed:.0f}× "
            f"({declared / 1024**2:.0f} MiB from {compressed / 1024**2:.1f} MiB), which only a "
            "zip bomb does; refused."
        )


def _member_cap(archive: Path) -> int:
    return min(MAX_MEMBERS, max(10_000, archive.stat().st_size // MEMBER_BYTES))


def _too_many(archive: Path, count: int) -> UserError:
    return UserError(
        f"{archive.name}: more than {count:,} members for a {archive.stat().st_size:,}-byte "
        "archive; refused.",
        "An archive of that many (nearly empty) entries is built to exhaust memory.",
    )


def _place(archive: Path, destination: Path, name: str, *, folder: bool) -> Path:
    """The member's path, its parent folders made; a name that is both a file and a folder
    in the archive is refused naming it."""
    target = destination / safe_name(archive, name)
    try:
        (target if folder else target.parent).mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UserError(
            f"{archive.name}: member {name!r} needs a folder where the archive already "
            "has a file of that name; refused."
        ) from None
    if not folder and target.is_dir():
        raise UserError(
            f"{archive.name}: member {name!r} is a file where the archive already has a "
            "folder of that name; refused."
        )
    return target


def extract(
    archive: Path,
    kind: str,
    destination: Path,
    state: TaskState | None = None,
    limit: int = MAX_UNCOMPRESSED,
) -> None:
    """Extract into `destination` (which must be empty and ours) or raise `UserError`."""
    free = shutil.disk_usage(destination).free
    limit = min(limit, int(free * 0.9))
    if kind == "zip":
        _extract_zip(archive, destination, state, limit)
    else:
        _extract_tar(archive, destination, state, limit)


def _extract_zip(archive: Path, destination: Path, state: TaskState | None, limit: int) -> None:
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise UserError(f"{archive.name}: not a readable zip archive ({error}).") from None
    with bundle:
        members = bundle.infolist()
        if len(members) > _member_cap(archive):
            raise _too_many(archive, _member_cap(archive))
        for info in members:
            safe_name(archive, info.filename)
            _check_readable(archive, info)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UserError(
                    f"{archive.name}: member {info.filename!r} is a symbolic link; refused.",
                    "Links in archives can point outside the dataset; pack the files themselves.",
                )
        declared = sum(info.file_size for info in members)
        _check_total(archive, declared, archive.stat().st_size, limit)
        written = 0
        for info in members:
            target = _place(archive, destination, info.filename, folder=info.is_dir())
            if info.is_dir():
                continue
            try:
                with bundle.open(info) as source, target.open("wb") as out:
                    member_written = 0
                    while chunk := source.read(CHUNK):
                        member_written += len(chunk)
                        written += len(chunk)
                        if member_written > info.file_size or written > declared:
                            raise UserError(
                                f"{archive.name}: member {info.filename!r} expands beyond the "
                                "size it declares (a zip bomb); refused."
                            )
                        out.write(chunk)
                        if state is not None:
                            state.progress(written, declared, f"Extracting {info.filename}")
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise UserError(
                    f"{archive.name}: member {info.filename!r} is damaged ({error})."
                ) from None


READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 98: "PPMd"}


def _check_readable(archive: Path, info: zipfile.ZipInfo) -> None:
    """Encrypted members and compression methods Python cannot read, refused by name
    before anything is written."""
    if info.flag_bits & 0x1:
        raise UserError(
            f"{archive.name}: member {info.filename!r} is encrypted; refused.",
            "Extract it with its password and import the files, or an unencrypted zip.",
        )
    if info.compress_type not in READABLE_METHODS:
        method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise UserError(
            f"{archive.name}: member {info.filename!r} is compressed with {method}, which "
            "SparkTrainer cannot read; refused.",
            "Re-create the zip with ordinary (Deflate) compression.",
        )


def _extract_tar(archive: Path, destination: Path, state: TaskState | None, limit: int) -> None:
    try:
        bundle = tarfile.open(archive)  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as error:
        raise UserError(f"{archive.name}: not a readable tar archive ({error}).") from None
    with bundle:
        cap = _member_cap(archive)
        members: list[tarfile.TarInfo] = []
        try:
            for member in bundle:  # read lazily: a member bomb is refused at the cap
                members.append(member)
                if len(members) > cap:
                    raise _too_many(archive, cap)
        except (tarfile.TarError, OSError, EOFError) as error:
            raise UserError(f"{archive.name}: the archive is damaged ({error}).") from None
        for member in members:
            safe_name(archive, member.name)
            if member.issym() or member.islnk():
                raise UserError(
                    f"{archive.name}: member {member.name!r} is a link (to "
                    f"{member.linkname!r}); refused.",
                    "Links in archives can point outside the dataset; pack the files themselves.",
                )
            if not (member.isfile() or member.isdir()):
                raise UserError(f"{archive.name}: member {member.name!r} is not a file; refused.")
        declared = sum(m.size for m in members if m.isfile())
        _check_total(archive, declared, archive.stat().st_size, limit)
        written = 0
        for member in members:
            target = _place(archive, destination, member.name, folder=member.isdir())
            if member.isdir():
                continue
            try:
                source = bundle.extractfile(member)
                assert source is not None
                with source, target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        out.write(chunk)
                        if state is not None:
                            state.progress(written, declared, f"Extracting {member.name}")
            except (tarfile.TarError, OSError, EOFError) as error:
                raise UserError(
                    f"{archive.name}: member {member.name!r} is damaged ({error})."
                ) from None

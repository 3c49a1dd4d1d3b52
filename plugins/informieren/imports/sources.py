"""Where the messages of an import come from: single files, directories and ZIP archives, unpacked safely.

A file is a seekable binary file (a stored upload, a file on disk), never one bytes object: a ZIP is
opened over it, and each member is copied, in blocks, into a temporary file of its own (in memory up to
64 KB, else on the worker's local disk, deleted when closed) that the parser reads, so memory stays
bounded by the block size whatever an archive holds.  A ZIP is refused as a
whole when it is not a ZIP, has too many members or declares too much content; a member is refused
(and the others go on) when its name leaves the archive, it is encrypted or a ZIP itself, it claims a
compression ratio only a bomb has, or it inflates beyond what it declared or the limits allow.
"""

from __future__ import annotations

import io
import posixpath
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

from plugins.informieren.imports.ech0020 import DEFAULT_MAX_BYTES
from plugins.informieren.imports.pipeline import FileRefusal

Content = BinaryIO  # a seekable binary file


@dataclass(frozen=True)
class Limits:
    max_members: int = 20_000
    max_total_bytes: int = 1024 * 1024 * 1024  # all members together, uncompressed
    # One message: never more than the parser takes (a baseDelivery of 50,000 persons is ~100 MB), so a
    # member the parser would refuse is refused before it is inflated.
    max_member_bytes: int = DEFAULT_MAX_BYTES
    max_ratio: int = 200  # uncompressed / compressed; XML compresses well, bombs far better


LIMITS = Limits()
ZIP_MAGIC = b"PK\x03\x04"
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db")
READ_BLOCK = 1024 * 1024
SPOOL_BYTES = 64 * 1024  # a member up to this size stays in memory (a ZIP of 20,000 small moveIns)


class ArchiveRefused(ValueError):
    """The archive as a whole is refused; ``str()`` is the German reason."""


def is_zip(name: str, content: Content) -> bool:
    return _head(content, 4) == ZIP_MAGIC or name.lower().endswith(".zip")


def _head(content: Content, size: int) -> bytes:
    content.seek(0)
    head = content.read(size)
    content.seek(0)
    return head


def is_csv(name: str) -> bool:
    return name.lower().endswith((".csv", ".txt"))


def as_file(content: bytes | Content) -> Content:
    return io.BytesIO(content) if isinstance(content, bytes | bytearray) else content


def unpack(name: str, content: bytes | Content, limits: Limits = LIMITS) -> Iterator[tuple[str, Content] | FileRefusal]:
    """The messages of one uploaded or posted file: itself, or the members of a ZIP (each a file)."""
    content = as_file(content)
    if is_zip(name, content):
        try:
            yield from zip_members(name, content, limits)
        except ArchiveRefused as error:
            yield FileRefusal(name, str(error), "archive")
    else:
        yield name, content


def count(name: str, content: bytes | Content, limits: Limits = LIMITS) -> int:
    """How many messages ``unpack`` will yield (for the progress), without reading the members."""
    content = as_file(content)
    if not is_zip(name, content):
        return 1
    try:
        with zipfile.ZipFile(content) as archive:
            return min(len([i for i in archive.infolist() if not _skipped(i)]), limits.max_members) or 1
    except (zipfile.BadZipFile, ValueError, OSError):
        return 1


def _skipped(info: zipfile.ZipInfo) -> bool:
    return info.is_dir() or any(part in info.filename for part in IGNORED)


def zip_members(name: str, content: Content, limits: Limits = LIMITS) -> Iterator[tuple[str, Content] | FileRefusal]:
    try:
        archive = zipfile.ZipFile(content)
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ArchiveRefused(_("Die Datei ist kein lesbares ZIP-Archiv.")) from None
    with archive:
        members = [info for info in archive.infolist() if not _skipped(info)]
        if len(members) > limits.max_members:
            raise ArchiveRefused(_("Das ZIP-Archiv enthält %(count)s Dateien; höchstens %(max)s sind erlaubt.",
                                   count=len(members), max=limits.max_members))
        declared = sum(info.file_size for info in members)
        if declared > limits.max_total_bytes:
            raise ArchiveRefused(_("Das ZIP-Archiv ist entpackt zu gross (%(size)s MB; höchstens %(max)s MB).",
                                   size=declared // 2**20, max=limits.max_total_bytes // 2**20))
        total = 0
        for info in members:
            label = f"{name}/{info.filename}"
            reason = _member_problem(info, limits)
            if reason is None:
                content, reason = _read_member(archive, info, limits, limits.max_total_bytes - total)
            if reason is not None:
                yield FileRefusal(label, reason, "archive")
                continue
            if _head(content, 4) == ZIP_MAGIC:
                content.close()
                yield FileRefusal(label, _("Ein ZIP-Archiv in einem ZIP-Archiv wird nicht angenommen."), "archive")
                continue
            total += content.seek(0, io.SEEK_END)
            content.seek(0)
            yield label, content


def _member_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]) or posixpath.normpath(name) != name:
        return _("Unzulässiger Dateiname im ZIP-Archiv (er zeigt aus dem Archiv hinaus).")
    if info.flag_bits & 0x1:
        return _("Verschlüsselte Dateien im ZIP-Archiv werden nicht angenommen.")
    if name.lower().endswith(".zip"):
        return _("Ein ZIP-Archiv in einem ZIP-Archiv wird nicht angenommen.")
    if info.file_size > limits.max_member_bytes:
        return _("Die Datei ist zu gross (%(size)s MB; höchstens %(max)s MB).",
                 size=info.file_size // 2**20, max=limits.max_member_bytes // 2**20)
    if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return _("Die Datei ist auffällig stark komprimiert (Verdacht auf eine ZIP-Bombe).")
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, room: int):
    """Copy a member into a temporary file, stopping as soon as it inflates beyond what it declared or what is left."""
    allowed = min(info.file_size, limits.max_member_bytes, room)
    copy, written = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES), 0  # noqa: SIM115 (handed to the caller)
    try:
        with archive.open(info) as member:
            while block := member.read(READ_BLOCK):
                written += len(block)
                if written > allowed:
                    copy.close()
                    if written > room:
                        return None, _("Das ZIP-Archiv ist entpackt zu gross.")
                    return None, _("Die Datei ist grösser als angegeben (Verdacht auf eine ZIP-Bombe).")
                copy.write(block)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        copy.close()
        return None, _("Die Datei im ZIP-Archiv ist beschädigt (%(error)s).", error=type(error).__name__)
    copy.seek(0)
    return copy, None


def from_paths(paths: Iterable[Path], limits: Limits = LIMITS) -> Iterator[tuple[str, Content] | FileRefusal]:
    """The messages under the given files, directories (recursively, in name order) and ZIPs (CLI)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                yield from _from_file(child, limits)
        else:
            yield from _from_file(path, limits)


def _from_file(path: Path, limits: Limits):
    if path.stat().st_size > max(limits.max_member_bytes, limits.max_total_bytes if path.suffix == ".zip" else 0):
        yield FileRefusal(str(path), _("Die Datei ist zu gross."), "too_large")
        return
    # Not closed here: the importer reads a file after the next ones were opened (it hashes them in batches).
    yield from unpack(str(path), path.open("rb"), limits)


def count_paths(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            total += 1
    return total

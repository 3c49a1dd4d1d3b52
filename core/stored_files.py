"""Large files in the database, in chunks: uploads waiting for their import, result files of jobs.

Workers and web servers share no disk, so the database carries the files; but no single value
holds a whole file: a :class:`StoredFile` is a row of metadata and its content lies in
:class:`StoredChunk` rows of about 1 MB.  :func:`write` fills a file from a stream block by block
(never more than one block in memory, nothing kept in the session), :func:`open_file` reads it back
as a seekable binary file that fetches one chunk at a time (a ZIP archive or the XML parser reads
it like a file on disk), :func:`delete` removes it.  Both tables are tenant-owned: the automatic
scope and row-level security keep a tenant's files its own.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, current_scope, db, tenant_fk, uuid_pk
from core.tenancy import Tenant, tenant_scope

CHUNK_BYTES = 1024 * 1024


class TooLarge(ValueError):
    """The stream is longer than the limit given to :func:`write`; nothing of it is kept."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class StoredFile(TenantScoped, db.Model):
    __tablename__ = "stored_files"

    id: Mapped[uuid.UUID] = uuid_pk()
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredChunk(TenantScoped, db.Model):
    """``start`` is the chunk's offset in the file: a reader finds the chunk of any position."""

    __tablename__ = "stored_file_chunks"

    file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)

    __table_args__ = (tenant_fk(["file_id"], "stored_files", ondelete="CASCADE"),)


def write(stream: BinaryIO, *, limit: int | None = None) -> StoredFile:
    """Store what ``stream`` holds (in the current tenant's scope; committed by the caller).

    Raises :class:`TooLarge` as soon as more than ``limit`` bytes came; what was written is then
    removed again, so a caller may carry on with its transaction.
    """
    return write_blocks(blocks(stream), limit=limit)


def write_blocks(parts: Iterable[bytes], *, limit: int | None = None) -> StoredFile:
    """Like :func:`write`, from blocks of any size (a request body's first bytes, then the rest)."""
    tenant_id = current_scope().tenant_id
    stored = StoredFile(id=uuid.uuid4(), size=0, sha256="")
    db.session.add(stored)
    db.session.flush()
    digest, size = hashlib.sha256(), 0
    for block in _rechunked(parts):
        size += len(block)
        if limit is not None and size > limit:
            delete(stored.id)
            raise TooLarge(limit)
        digest.update(block)
        # A Core-style insert: the session keeps no copy of the bytes until the commit.
        db.session.execute(sa.insert(StoredChunk), {"tenant_id": tenant_id, "file_id": stored.id,
                                                    "start": size - len(block), "data": block})
    stored.size, stored.sha256 = size, digest.hexdigest()
    db.session.flush()
    return stored


def write_bytes(data: bytes) -> StoredFile:
    return write(io.BytesIO(data))


def blocks(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """What a stream holds, read in blocks of at most ``size`` bytes until it ends."""
    while block := stream.read(size):
        yield block


def _rechunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    """Blocks of exactly CHUNK_BYTES (the last shorter), whatever sizes come in."""
    pending = bytearray()
    for part in parts:
        pending += part
        while len(pending) >= CHUNK_BYTES:
            yield bytes(pending[:CHUNK_BYTES])
            del pending[:CHUNK_BYTES]
    if pending:
        yield bytes(pending)


def delete(file_id: uuid.UUID) -> None:
    """Remove a file and its chunks (in the current tenant's scope)."""
    delete_many([file_id])


def delete_many(file_ids) -> None:
    ids = [file_id for file_id in file_ids if file_id is not None]
    if ids:
        # Not matched against loaded objects: the tenant's criterion decides, in the database.
        db.session.execute(sa.delete(StoredChunk).where(StoredChunk.file_id.in_(ids)),
                           execution_options={"synchronize_session": False})
        db.session.execute(sa.delete(StoredFile).where(StoredFile.id.in_(ids)),
                           execution_options={"synchronize_session": False})
        for loaded in [obj for obj in db.session.identity_map.values() if isinstance(obj, StoredFile)]:
            if loaded.id in ids:
                db.session.expunge(loaded)


def open_file(file_id: uuid.UUID, tenant: Tenant) -> ChunkReader:
    """The file as a seekable binary file; each chunk is fetched in ``tenant``'s scope when first read."""
    with tenant_scope(tenant):
        stored = db.session.get(StoredFile, (tenant.id, file_id))
        if stored is None:
            raise FileNotFoundError(str(file_id))
        return ChunkReader(stored.id, stored.size, tenant)


class ChunkReader(io.RawIOBase):
    """Reads a stored file chunk by chunk; one chunk (about 1 MB) is held at a time."""

    def __init__(self, file_id: uuid.UUID, size: int, tenant: Tenant):
        super().__init__()
        self.file_id, self.size, self.tenant = file_id, size, tenant
        self.position = 0
        self._start, self._data = 0, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer) -> int:
        """Fill ``buffer`` across chunk ends (a ZIP reader takes a short read for a truncated file)."""
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and self.position < self.size:
            if not self._start <= self.position < self._start + len(self._data):
                self._fetch()
            offset = self.position - self._start
            count = min(len(view) - filled, len(self._data) - offset)
            view[filled:filled + count] = self._data[offset:offset + count]
            self.position += count
            filled += count
        return filled

    def _fetch(self) -> None:
        self._data = b""  # the old chunk goes before the next one comes
        with tenant_scope(self.tenant):
            row = db.session.execute(
                sa.select(StoredChunk.start, StoredChunk.data)
                .where(StoredChunk.file_id == self.file_id, StoredChunk.start <= self.position)
                .order_by(StoredChunk.start.desc()).limit(1)).one_or_none()
        if row is None:
            raise OSError(f"stored file {self.file_id} has no chunk at {self.position}")
        self._start, self._data = row.start, bytes(row.data)

    def iter_blocks(self) -> Iterator[bytes]:
        """The file from the start, chunk by chunk."""
        self.seek(0)
        while block := self.read(CHUNK_BYTES):
            yield block

    def response_blocks(self, app) -> Iterator[bytes]:
        """The file for a streamed response: each chunk is fetched in an application context of its own.

        A WSGI server iterates the body after the request's context is gone (and maybe in another
        context), so nothing may stay pushed from one block to the next.
        """
        self.seek(0)
        while True:
            with app.app_context():
                block = self.read(CHUNK_BYTES)
            if not block:
                return
            yield block

"""core.stored_files: large files in chunks, read back lazily, and each tenant's own (issue 11)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
import sqlalchemy as sa

from core import stored_files
from core.db import db
from core.stored_files import StoredChunk, StoredFile
from core.tenancy import tenant_scope


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(stored_files, "CHUNK_BYTES", 1000)


def store(tenant, content: bytes, **kw) -> StoredFile:
    with tenant_scope(tenant):
        stored = stored_files.write(io.BytesIO(content), **kw)
    db.session.commit()
    return stored


def chunks(tenant, file_id) -> list[int]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(sa.func.length(StoredChunk.data)).where(StoredChunk.file_id == file_id)
                                  .order_by(StoredChunk.start)).all()


def test_a_file_goes_in_as_chunks_and_comes_back_whole_and_seekable(two_tenants, small_chunks):
    grenchen, _balsthal = two_tenants
    content = os.urandom(3500)
    stored = store(grenchen, content)
    assert (stored.size, len(stored.sha256)) == (3500, 64)
    assert chunks(grenchen, stored.id) == [1000, 1000, 1000, 500]  # no value holds the whole file
    reader = stored_files.open_file(stored.id, grenchen)
    assert reader.read() == content
    reader.seek(1990)
    assert reader.read(20) == content[1990:2010]  # across a chunk's end
    assert reader.seek(-10, io.SEEK_END) == 3490 and reader.read() == content[-10:]
    assert b"".join(reader.iter_blocks()) == content


def test_a_zip_archive_is_read_over_a_stored_file(two_tenants, small_chunks):
    grenchen, _balsthal = two_tenants
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", os.urandom(2500))
        archive.writestr("b.xml", b"<b/>")
    stored = store(grenchen, buffer.getvalue())
    with zipfile.ZipFile(stored_files.open_file(stored.id, grenchen)) as archive:
        assert archive.read("b.xml") == b"<b/>" and len(archive.read("a.xml")) == 2500


def test_blocks_of_any_size_are_stored_in_whole_chunks(two_tenants, small_chunks):
    grenchen, _balsthal = two_tenants
    with tenant_scope(grenchen):
        stored = stored_files.write_blocks([b"a" * 10, b"b" * 1500, b"", b"c" * 700])
    db.session.commit()
    assert chunks(grenchen, stored.id) == [1000, 1000, 210]
    assert stored_files.open_file(stored.id, grenchen).read() == b"a" * 10 + b"b" * 1500 + b"c" * 700


def test_beyond_the_limit_nothing_is_kept(two_tenants, small_chunks):
    grenchen, _balsthal = two_tenants
    with tenant_scope(grenchen), pytest.raises(stored_files.TooLarge):
        stored_files.write(io.BytesIO(b"x" * 2500), limit=2000)
    db.session.commit()
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredChunk)) == 0


def test_another_tenant_can_neither_open_nor_read_nor_delete_a_file(two_tenants, small_chunks):
    grenchen, balsthal = two_tenants
    stored = store(grenchen, b"geheim" * 400)
    with pytest.raises(FileNotFoundError):
        stored_files.open_file(stored.id, balsthal)
    # a reader made up with the other tenant's scope finds no chunk either
    forged = stored_files.ChunkReader(stored.id, stored.size, balsthal)
    with pytest.raises(OSError, match="no chunk"):
        forged.read()
    assert chunks(balsthal, stored.id) == []
    with tenant_scope(balsthal):
        stored_files.delete(stored.id)
    db.session.commit()
    assert stored_files.open_file(stored.id, grenchen).read() == b"geheim" * 400
    with tenant_scope(grenchen):
        stored_files.delete(stored.id)
    db.session.commit()
    with pytest.raises(FileNotFoundError):
        stored_files.open_file(stored.id, grenchen)

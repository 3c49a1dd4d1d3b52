"""ZIP batches unpacked safely: traversal, bombs, nested archives, too many members, broken archives."""

from __future__ import annotations

import struct
import zipfile

import pytest

from plugins.informieren.imports import sources as import_sources
from plugins.informieren.imports.pipeline import FileRefusal
from plugins.informieren.imports.sources import Limits
from tests.informieren.import_helpers import zip_of


def unpacked(data: bytes, limits: Limits = import_sources.LIMITS, name="batch.zip"):
    """What unpack yields, a member's file read back into bytes (so results compare plainly)."""
    return [found if isinstance(found, FileRefusal) else (found[0], found[1].read())
            for found in import_sources.unpack(name, data, limits)]


def refusals(found):
    return [f for f in found if isinstance(f, FileRefusal)]


def test_plain_members_are_read_and_clutter_skipped():
    data = zip_of({"a.xml": b"<a/>", "sub/b.xml": b"<b/>", "__MACOSX/._a.xml": b"x", "sub/": b""})
    assert unpacked(data) == [("batch.zip/a.xml", b"<a/>"), ("batch.zip/sub/b.xml", b"<b/>")]
    assert import_sources.count("batch.zip", data) == 2


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/passwd", "a/../../evil.xml", "C:/x.xml", "..\\evil.xml",
                                  "./a.xml"])
def test_a_member_leaving_the_archive_is_refused_and_the_others_read(name):
    found = unpacked(zip_of({name: b"<x/>", "good.xml": b"<g/>"}))
    [refusal] = refusals(found)
    assert "zeigt aus dem Archiv hinaus" in refusal.reason
    assert ("batch.zip/good.xml", b"<g/>") in found


def test_a_nested_zip_is_refused_by_name_and_by_content():
    inner = zip_of({"a.xml": b"<a/>"})
    found = unpacked(zip_of({"inner.zip": inner, "disguised.xml": inner, "good.xml": b"<g/>"}))
    assert [r.filename for r in refusals(found)] == ["batch.zip/inner.zip", "batch.zip/disguised.xml"]
    assert all("ZIP-Archiv in einem ZIP-Archiv" in r.reason for r in refusals(found))
    assert found[-1] == ("batch.zip/good.xml", b"<g/>")


def test_a_bomb_by_ratio_is_refused():
    found = unpacked(zip_of({"bomb.xml": b"\0" * (20 * 1024 * 1024), "good.xml": b"<g/>"}))
    [refusal] = refusals(found)
    assert "ZIP-Bombe" in refusal.reason and found[-1] == ("batch.zip/good.xml", b"<g/>")


def test_a_member_inflating_beyond_its_declared_size_is_refused():
    data = bytearray(zip_of({"liar.xml": b"A" * 5000}, compression=zipfile.ZIP_STORED))
    # declare 10 bytes in the local header and the central directory: the reader must stop there
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 10)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    [refusal] = refusals(unpacked(bytes(data)))
    assert "beschädigt" in refusal.reason or "grösser als angegeben" in refusal.reason


def test_limits_on_members_and_total_size_refuse_the_archive_as_a_whole():
    many = zip_of({f"m{i}.xml": b"<m/>" for i in range(6)})
    [refusal] = unpacked(many, Limits(max_members=5))
    assert refusal.filename == "batch.zip" and "höchstens 5" in refusal.reason
    big = zip_of({"a.xml": b"a" * 3 * 2**20, "b.xml": b"b" * 3 * 2**20})
    [refusal] = unpacked(big, Limits(max_total_bytes=5 * 2**20, max_ratio=10_000))
    assert "entpackt zu gross" in refusal.reason


def test_not_a_zip_at_all():
    [refusal] = unpacked(b"PK\x03\x04 but then nothing")
    assert "kein lesbares ZIP-Archiv" in refusal.reason


def test_an_encrypted_member_is_refused():
    data = bytearray(zip_of({"secret.xml": b"<s/>"}, compression=zipfile.ZIP_STORED))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        flags = struct.unpack_from("<H", data, at + offset)[0]
        struct.pack_into("<H", data, at + offset, flags | 0x1)
    [refusal] = unpacked(bytes(data))
    assert "Verschlüsselte" in refusal.reason


def test_directories_are_walked_in_name_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.xml").write_bytes(b"<2/>")
    (tmp_path / "1.xml").write_bytes(b"<1/>")
    (tmp_path / ".hidden").write_bytes(b"x")
    (tmp_path / "c.zip").write_bytes(zip_of({"3.xml": b"<3/>"}))
    found = list(import_sources.from_paths([tmp_path]))
    assert [content.read() for _name, content in found] == [b"<1/>", b"<2/>", b"<3/>"]
    assert import_sources.count_paths([tmp_path]) == 3

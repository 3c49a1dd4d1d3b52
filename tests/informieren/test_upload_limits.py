"""Issue 11, bounded memory: uploads streamed into chunked stored files, chunked bodies counted against the
limit, archive members no larger than the parser takes, CSV with a row limit stated in the refusal."""

from __future__ import annotations

import io
import struct
import uuid
import zipfile

import sqlalchemy as sa

from core import stored_files
from core.db import db
from core.stored_files import StoredChunk, StoredFile
from core.tenancy import tenant_scope
from plugins.informieren.imports import csv_files, ech0020, runs
from plugins.informieren.imports import sources as import_sources
from plugins.informieren.imports.pipeline import FileRefusal
from plugins.informieren.imports.runs import Upload
from tests.conftest import login_as
from tests.informieren import ech_messages as ech
from tests.informieren.import_helpers import csrf, fresh_run
from tests.informieren.import_helpers import runs as import_runs
from tests.informieren.test_import_access import DELIVERIES, spec, token
from tests.informieren.test_import_csv import GOOD, csv_text

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world


def chunked_post(client, url, body: bytes, headers):
    """A body sent with Transfer-Encoding: chunked: it names no length (gunicorn marks it terminated)."""
    return client.post(url, input_stream=io.BytesIO(body), headers={**headers, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def stored_rows(tenant) -> tuple[int, int, int]:
    with tenant_scope(tenant):
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                     for model in (Upload, StoredFile, StoredChunk))


# -- API bodies ---------------------------------------------------------------------------------------------


def test_a_chunked_delivery_beyond_the_limit_is_refused_with_413_and_nothing_kept(world, client, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(runs, "MAX_UPLOAD_BYTES", 3 * 2**20)
    monkeypatch.setattr(stored_files, "CHUNK_BYTES", 64 * 1024)
    response = chunked_post(client, DELIVERIES.format(slug="grenchen"), b"<x/>" * 2**20, token(grenchen))
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"
    assert stored_rows(grenchen) == (0, 0, 0) and import_runs(grenchen) == []


def test_a_chunked_delivery_within_the_limit_is_stored_in_chunks_and_imported(world, client, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(runs, "MAX_UPLOAD_BYTES", 3 * 2**20)
    monkeypatch.setattr(stored_files, "CHUNK_BYTES", 1024)  # the parser reads the message across many chunks
    from plugins.informieren.imports import api as imports_api

    monkeypatch.setattr(imports_api, "SYNC_API_BYTES", 100)
    data = ech.base_delivery([spec(n) for n in range(1, 6)])
    response = chunked_post(client, DELIVERIES.format(slug="grenchen"), data, token(grenchen))
    assert response.status_code == 202, response.text
    run = fresh_run(grenchen, uuid.UUID(response.get_json()["import_id"]))
    assert run.counts["created"] == 5
    assert stored_rows(grenchen) == (0, 0, 0)  # the upload went with the job's last commit


def test_a_small_chunked_delivery_is_imported_at_once(world, client):
    grenchen, _balsthal = world
    response = chunked_post(client, DELIVERIES.format(slug="grenchen"), ech.move_in(spec(1)), token(grenchen))
    assert response.status_code == 200 and response.get_json()["counts"]["created"] == 1


def test_a_chunked_json_body_beyond_its_limit_is_413(world, client):
    grenchen, _balsthal = world
    headers = {**token(grenchen, ("informieren:write",)), "Content-Type": "application/json"}
    response = chunked_post(client, "/api/v1/grenchen/informieren/newcomers", b" " * (2 * 2**20), headers)
    assert response.status_code == 413


# -- uploads on the page --------------------------------------------------------------------------------------


def test_an_upload_beyond_the_limit_is_refused_in_words_and_nothing_kept(world, app, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(runs, "MAX_UPLOAD_BYTES", 2 * 2**20)
    monkeypatch.setattr(stored_files, "CHUNK_BYTES", 64 * 1024)
    user = app.test_client()
    login_as(user, (grenchen, "integration_officer"))
    page = user.get("/grenchen/informieren/importe")
    # two files, each below the limit, together above it: counted as they are stored
    upload = user.post("/grenchen/informieren/importe", data={
        "csrf_token": csrf(page.text), "files": [(io.BytesIO(b"a" * 1500 * 1024), "a.xml"),
                                                 (io.BytesIO(b"b" * 1500 * 1024), "b.xml")]},
        content_type="multipart/form-data")
    assert upload.status_code == 400 and "Die Dateien sind zu gross (höchstens 2 MB)." in upload.text
    assert stored_rows(grenchen) == (0, 0, 0)


def test_an_uploaded_file_is_stored_in_chunks_no_value_holding_it_whole(world, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(stored_files, "CHUNK_BYTES", 1000)
    data = ech.base_delivery([spec(n) for n in range(1, 4)])
    runs.store(grenchen, [("base.xml", io.BytesIO(data))])
    db.session.commit()
    with tenant_scope(grenchen):
        [upload] = db.session.scalars(sa.select(Upload)).all()
        longest = db.session.scalar(sa.select(sa.func.max(sa.func.length(StoredChunk.data))))
    assert upload.size == len(data) > 3000 and longest == 1000
    assert upload.open(grenchen).read() == data
    assert ech0020.parse_message(upload.open(grenchen)).message_id == ech0020.parse_message(data).message_id


# -- archives -------------------------------------------------------------------------------------------------


def test_an_archive_member_may_be_no_larger_than_the_parser_takes():
    assert import_sources.LIMITS.max_member_bytes <= ech0020.DEFAULT_MAX_BYTES


def test_a_member_declaring_more_than_the_parser_takes_is_refused_with_the_limit_before_it_is_inflated():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.xml", b"<a/>" * 1000)
        archive.writestr("good.xml", b"<g/>")
    data = bytearray(buffer.getvalue())
    # big.xml claims 250 MB (the measured attack: members of 250 MB at a ratio the bomb check lets pass)
    declared, compressed = 250 * 2**20, 2**21
    for signature, size_at, compressed_at in ((b"PK\x03\x04", 22, 18), (b"PK\x01\x02", 24, 20)):
        at = data.index(signature)
        struct.pack_into("<I", data, at + size_at, declared)
        struct.pack_into("<I", data, at + compressed_at, compressed)
    found = list(import_sources.unpack("batch.zip", bytes(data)))
    refusal = next(f for f in found if isinstance(f, FileRefusal))
    assert refusal.filename == "batch.zip/big.xml" and "höchstens 200 MB" in refusal.reason


def test_members_come_as_files_not_as_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", b"<a/>" * 50_000)
    [(name, member)] = list(import_sources.unpack("batch.zip", buffer.getvalue()))
    assert name == "batch.zip/a.xml" and not isinstance(member, bytes) and member.read(4) == b"<a/>"


# -- CSV ------------------------------------------------------------------------------------------------------


def test_a_csv_beyond_the_row_limit_is_refused_with_the_limit_on_the_mapping_page_and_in_the_job(world, app,
                                                                                                   monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(csv_files, "MAX_ROWS", 3)
    rows = [GOOD.replace("1001", str(1001 + n), 1) for n in range(4)]
    data = csv_text(*rows).encode()
    client = app.test_client()
    login_as(client, (grenchen, "residents_services"))
    page = client.get("/grenchen/informieren/importe")
    response = client.post("/grenchen/informieren/importe", data={
        "csrf_token": csrf(page.text), "files": [(io.BytesIO(data), "liste.csv")]},
        content_type="multipart/form-data")
    mapping = client.get(response.headers["Location"])
    assert mapping.status_code == 422 and "mehr als 3 Datenzeilen" in mapping.text
    # a file within the limit shows its rows; the count is stated
    assert csv_files.read(csv_text(*rows[:3]).encode()).row_count == 3
    # the job refuses it too, whatever reached it
    monkeypatch.setattr(csv_files, "MAX_ROWS", 2)
    run = _import_through_job(grenchen, csv_text(*rows[:3]).encode())
    assert run.counts["refused"] == 1 and run.counts["created"] == 0
    assert "mehr als 2 Datenzeilen" in run_items_reason(grenchen, run)


def test_the_row_limit_is_stated_in_swiss_digits():
    assert csv_files.MAX_ROWS == 100_000
    big = ("a;b\r\n" + "1;2\r\n" * (csv_files.MAX_ROWS + 1)).encode()
    try:
        csv_files.read(big)
    except csv_files.CsvError as error:
        assert "mehr als 100’000 Datenzeilen" in str(error)
    else:
        raise AssertionError("not refused")


def _import_through_job(tenant, data: bytes):
    batch = runs.store(tenant, [("liste.csv", data)])
    mapping = csv_files.propose(csv_files.read(csv_text(GOOD).encode()).header)
    run, _record = runs.request_import(tenant, batch, filename="liste.csv", source="csv", mapping=mapping)
    return fresh_run(tenant, run.id)


def run_items_reason(tenant, run) -> str:
    from plugins.informieren.models import ImportItem

    with tenant_scope(tenant):
        return " ".join(db.session.scalars(sa.select(ImportItem.reason).where(ImportItem.import_id == run.id)))


def test_the_register_index_is_read_a_page_at_a_time_and_finds_everybody(world, monkeypatch):
    grenchen, _balsthal = world
    from datetime import date

    from plugins.informieren.imports import pipeline

    people = [spec(n) for n in range(1, 6)]
    runs.run_now(grenchen, [("a.xml", ech.base_delivery(people, message_id="a"))], source="ech0020",
                 filename="a.xml", since=date(2017, 1, 1))
    monkeypatch.setattr(pipeline, "INDEX_PAGE", 2)
    again, _importer = runs.run_now(grenchen, [("b.xml", ech.base_delivery(people, message_id="b"))],
                                    source="ech0020", filename="b.xml", since=date(2017, 1, 1))
    assert fresh_run(grenchen, again.id).counts["unchanged"] == 5

"""Attachments: upload checks, virus scanning (a fake clamd over real sockets), permission-checked download,
soft deletion, storage in the database or a directory; every step audited."""

from __future__ import annotations

import hashlib
import io
import re
import socketserver
import struct
import threading
import zipfile

import pytest
import sqlalchemy as sa

from core import attachments, modules
from core.attachments import filetypes, scanning
from core.attachments.models import Attachment, AttachmentContent
from core.audit import AuditEvent
from core.db import db
from core.errors import UserError
from core.plugins import discover
from core.tenancy import tenant_scope
from tests.attachment_plugin import PLUGIN_VIRUS, plugin
from tests.conftest import clear_database, login_as, make_app, make_tenant

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"  # in two parts: no alarm here


def _pdf(text: str = "Aufenthaltsbewilligung") -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buffer.getvalue()


PDF = _pdf()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>%PDF-1.4</body></html>"


@pytest.fixture
def world(app, database_url):
    files_app = make_app(plugins=[*discover(), plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with files_app.app_context():
        make_tenant("kanton", kind="canton")
        grenchen, balsthal = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
        for tenant in (grenchen, balsthal):
            modules.entitle(tenant, "notes")
            modules.activate(tenant, "notes")
        db.session.commit()
        yield files_app, grenchen, balsthal
        db.session.rollback()
        db.session.remove()
    clear_database(files_app)


def _csrf(client, url: str) -> str:
    page = client.get(url)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def _upload(client, data: bytes, filename: str, tenant: str = "grenchen", note: str = "n1",
            claimed: str = "application/pdf"):
    url = f"/{tenant}/notizen/{note}/beilagen"
    form = {"csrf_token": _csrf(client, url), "attachment": (io.BytesIO(data), filename, claimed)}
    return client.post(url, data=form, content_type="multipart/form-data")


def _officer(app, tenant, *more):
    client = app.test_client()
    login_as(client, (tenant, "integration_officer"), *more)
    return client


def _events(tenant, prefix: str = "attachment.") -> list[AuditEvent]:
    with tenant_scope(tenant):
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                       .order_by(AuditEvent.occurred_at)))


def _rows(tenant) -> list[Attachment]:
    """The tenant's attachments as stored now (requests change them in sessions of their own)."""
    with tenant_scope(tenant):
        return list(db.session.scalars(sa.select(Attachment).execution_options(populate_existing=True)))


def _contents(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(sa.select(sa.func.count()).select_from(AttachmentContent))


# -- the happy path --------------------------------------------------------------------------------------------


def test_an_upload_is_stored_and_downloaded_through_the_permission_check(world):
    app, grenchen, _balsthal = world
    client = app.test_client()
    officer = login_as(client, (grenchen, "integration_officer"))
    answer = _upload(client, PDF, "Ausweis Müller.pdf")
    assert answer.status_code == 201, answer.text
    (row,) = _rows(grenchen)
    assert (row.owner_type, row.owner_id, row.filename, row.content_type, row.size, row.storage) == (
        "notes.note", "n1", "Ausweis Müller.pdf", "application/pdf", len(PDF), "database")
    assert row.uploaded_by == f"user:{officer.id}" and row.deleted_at is None
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()

    download = client.get(f"/grenchen/anhang/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Ausweis%20M%C3%BCller.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"
    assert [e.action for e in _events(grenchen)] == ["attachment.upload", "attachment.download"]
    upload_event = _events(grenchen)[0]
    assert upload_event.object_id == str(row.id) and upload_event.detail["owner"] == "notes.note:n1"

    again = _upload(client, PDF, "nochmals.pdf")  # the form sent twice: no copy
    assert again.status_code == 201 and again.json["id"] == str(row.id) and len(_rows(grenchen)) == 1
    assert _upload(client, PDF, "Ausweis Müller.pdf", note="n2").status_code == 201 and len(_rows(grenchen)) == 2

    page = client.get("/grenchen/notizen/n1/beilagen")  # the list macro links to the download
    assert f'href="/grenchen/anhang/{row.id}"' in page.text and "Ausweis Müller.pdf" in page.text
    assert "Erlaubt: PDF, PNG, JPEG; höchstens 20 MB." in page.text and 'accept=".pdf,.png,.jpg,.jpeg"' in page.text


def test_listing_does_not_load_the_content(world):
    _app, grenchen, _b = world
    assert "content" not in Attachment.__table__.columns
    with tenant_scope(grenchen):
        upload = attachments.prepare(grenchen, "a.png", PNG, attachments.IMAGES)
        first = attachments.add(attachments.Owner.of("notes.note", 7), upload)
        attachments.add(attachments.Owner.of("notes.note", 8), upload)
        db.session.commit()
        assert [a.id for a in attachments.listing(attachments.Owner("notes.note", "7"))] == [first.id]
    with pytest.raises(ValueError):
        attachments.Owner.of("unknown.thing", 1)
    with pytest.raises(ValueError):
        attachments.Owner.of("notes", 1)


# -- refused uploads -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, name", [(EXE, "rechnung.pdf"), (HTML, "rechnung.pdf"), (HTML, "bild.png"),
                                        (b"PK\x03\x04" + b"\x00" * 60, "brief.pdf")])
def test_a_file_whose_content_is_not_an_allowed_type_is_refused(world, data, name):
    app, grenchen, _b = world
    answer = _upload(_officer(app, grenchen), data, name, claimed="application/pdf")
    assert answer.status_code == 400
    assert f"Die Datei «{name}» hat keinen erlaubten Dateityp (geprüft wird ihr Inhalt, nicht ihr Name). " \
           "Erlaubt sind: PDF, PNG, JPEG." in answer.text
    assert _rows(grenchen) == [] and _events(grenchen) == []


def test_a_file_too_large_or_empty_or_missing_is_refused(world, monkeypatch):
    app, grenchen, _b = world
    client = _officer(app, grenchen)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(PDF) - 1)
    answer = _upload(client, PDF, "gross.pdf")
    assert answer.status_code == 400 and "Die Datei «gross.pdf» ist zu gross; erlaubt sind höchstens" in answer.text
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 20 * 2**20)
    answer = _upload(client, b"", "leer.pdf")
    assert answer.status_code == 400 and "Die Datei «leer.pdf» ist leer." in answer.text
    url = "/grenchen/notizen/n1/beilagen"
    answer = client.post(url, data={"csrf_token": _csrf(client, url)}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "Bitte eine Datei wählen." in answer.text
    assert _rows(grenchen) == []


def test_the_stored_type_and_name_are_what_the_content_is():
    assert filetypes.identify(JPEG, attachments.IMAGES) is attachments.JPEG
    assert filetypes.clean_filename("scan.png", attachments.JPEG) == "scan.jpg"  # the content decides
    assert filetypes.clean_filename("../../etc/Pass.PDF", attachments.PDF) == "Pass.pdf"
    assert filetypes.clean_filename("C:\\Users\\x\\Brief", attachments.PDF) == "Brief.pdf"
    assert filetypes.clean_filename("bericht.v2", attachments.PDF) == "bericht.v2.pdf"
    assert filetypes.clean_filename("a\x00b\u202e.pdf", attachments.PDF) == "ab.pdf"  # control and bidi marks
    assert filetypes.clean_filename("...", attachments.PDF) == "datei.pdf"
    assert len(filetypes.clean_filename("x" * 500 + ".pdf", attachments.PDF)) == 200


def test_office_documents_are_recognised_by_their_content():
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    assert filetypes.identify(buffer.getvalue(), attachments.OFFICE) is filetypes.XLSX
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("evil.html", "<script>")
    assert filetypes.identify(plain.getvalue(), attachments.OFFICE) is None  # a ZIP is no document
    assert filetypes.identify(buffer.getvalue(), (attachments.PDF,)) is None  # allowed types only


# -- who may see it --------------------------------------------------------------------------------------------


def _one_attachment(app, tenant) -> Attachment:
    with tenant_scope(tenant):
        row = attachments.add(attachments.Owner.of("notes.note", "n1"), attachments.prepare(tenant, "a.pdf", PDF))
        db.session.commit()
    return row


def test_another_tenants_attachment_is_not_found(world):
    app, grenchen, balsthal = world
    row = _one_attachment(app, grenchen)
    client = _officer(app, balsthal, (grenchen, "integration_officer"))
    assert client.get(f"/balsthal/anhang/{row.id}").status_code == 404
    assert client.post(f"/balsthal/anhang/{row.id}/loeschen",
                       data={"csrf_token": _csrf(client, "/balsthal/notizen/x/beilagen")}).status_code == 404
    assert client.get(f"/grenchen/anhang/{row.id}").status_code == 200  # where it belongs
    assert client.get("/grenchen/anhang/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/grenchen/anhang/not-a-uuid").status_code == 404
    assert [e.action for e in _events(balsthal)] == []


def test_only_users_the_owning_module_lets_read_the_object_get_the_file(world):
    app, grenchen, balsthal = world
    row = _one_attachment(app, grenchen)
    url = f"/grenchen/anhang/{row.id}"
    read_only = app.test_client()
    login_as(read_only, (grenchen, "read_only"))  # a member without notes.read
    assert read_only.get(url).status_code == 403
    stranger = app.test_client()
    login_as(stranger, (balsthal, "integration_officer"))  # not a member of Grenchen
    assert stranger.get(url).status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    residents = app.test_client()
    login_as(residents, (grenchen, "residents_services"))  # may read notes, not change them
    assert residents.get(url).status_code == 200
    csrf = _csrf(residents, "/grenchen/")
    assert residents.post(f"{url}/loeschen", data={"csrf_token": csrf}).status_code == 403
    assert [e.action for e in _events(grenchen)] == ["attachment.upload", "attachment.download"]


def test_a_suspended_owner_module_answers_for_nothing(world):
    app, grenchen, _b = world
    row = _one_attachment(app, grenchen)
    client = _officer(app, grenchen)
    modules.suspend(grenchen, "notes")
    db.session.commit()
    assert client.get(f"/grenchen/anhang/{row.id}").status_code == 404


# -- deletion --------------------------------------------------------------------------------------------------


def test_deletion_is_soft_erases_the_content_and_is_audited(world):
    app, grenchen, _b = world
    client = _officer(app, grenchen)
    row = _one_attachment(app, grenchen)
    assert _contents(grenchen) == 1
    csrf = _csrf(client, "/grenchen/notizen/n1/beilagen")
    assert client.post(f"/grenchen/anhang/{row.id}/loeschen", data={}).status_code == 400  # no CSRF token
    answer = client.post(f"/grenchen/anhang/{row.id}/loeschen",
                         data={"csrf_token": csrf, "next": "/grenchen/notizen/n1/beilagen"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/grenchen/notizen/n1/beilagen")
    (kept,) = _rows(grenchen)
    assert kept.deleted_at is not None and kept.deleted_by and kept.sha256 == row.sha256
    assert _contents(grenchen) == 0
    assert client.get(f"/grenchen/anhang/{row.id}").status_code == 404
    assert client.post(f"/grenchen/anhang/{row.id}/loeschen", data={"csrf_token": csrf}).status_code == 404
    deleted = _events(grenchen, "attachment.delete")
    assert len(deleted) == 1 and deleted[0].object_id == str(row.id) and deleted[0].actor == kept.deleted_by
    with tenant_scope(grenchen):
        assert attachments.listing(attachments.Owner("notes.note", "n1")) == []
        assert len(attachments.listing(attachments.Owner("notes.note", "n1"), deleted=True)) == 1
    bad_next = client.post(f"/grenchen/anhang/{_one_attachment(app, grenchen).id}/loeschen",
                           data={"csrf_token": csrf, "next": "//evil.example/"})
    assert bad_next.headers["Location"].endswith("/grenchen/")  # no open redirect


# -- the directory storage -------------------------------------------------------------------------------------


def test_the_directory_storage_names_files_by_tenant_and_id(world, monkeypatch, tmp_path):
    app, grenchen, _b = world
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path))
    client = _officer(app, grenchen)
    assert _upload(client, PDF, "../../Pass.pdf").status_code == 201
    (row,) = _rows(grenchen)
    path = tmp_path / str(grenchen.id) / str(row.id)
    assert row.storage == "directory" and row.filename == "Pass.pdf" and path.read_bytes() == PDF
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [str(row.id)]  # never the user's name
    assert _contents(grenchen) == 0
    assert client.get(f"/grenchen/anhang/{row.id}").data == PDF
    csrf = _csrf(client, "/grenchen/notizen/n1/beilagen")
    assert client.post(f"/grenchen/anhang/{row.id}/loeschen", data={"csrf_token": csrf}).status_code == 302
    assert not path.exists() and _rows(grenchen)[0].deleted_at is not None
    # Stored in the database before the directory was configured: still served from there.
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", None)
    older = _one_attachment(app, grenchen)
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path))
    assert older.storage == "database" and client.get(f"/grenchen/anhang/{older.id}").data == PDF


def test_files_follow_the_transaction(world, monkeypatch, tmp_path):
    app, grenchen, _b = world
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path))
    owner = attachments.Owner.of("notes.note", "n1")
    with tenant_scope(grenchen):
        row = attachments.add(owner, attachments.prepare(grenchen, "a.pdf", PDF))
        path = tmp_path / str(grenchen.id) / str(row.id)
        assert path.exists()
        db.session.rollback()  # the row is gone: so is its file
        assert not path.exists()
        row = attachments.add(owner, attachments.prepare(grenchen, "a.pdf", PDF))
        db.session.commit()
        path = tmp_path / str(grenchen.id) / str(row.id)
        attachments.delete(row)
        db.session.rollback()  # a deletion rolled back keeps the file
        assert path.read_bytes() == PDF
        row = attachments.get(row.id)
        attachments.delete(row)
        with pytest.raises(UserError, match="schon gelöscht"):
            attachments.delete(row)
        db.session.commit()
        assert not path.exists()
        with pytest.raises(UserError, match="nicht mehr vorhanden"):
            attachments.read(row)


# -- virus scanning --------------------------------------------------------------------------------------------


class _FakeClamd(socketserver.BaseRequestHandler):
    """Speaks clamd's INSTREAM: a command line, chunks of <4-byte length><bytes>, a zero length; one answer."""

    def handle(self):
        stream = self.request.makefile("rb")
        prefix = stream.read(1)
        end = b"\n" if prefix == b"n" else b"\0"
        command = b""
        while not command.endswith(end):
            command += stream.read(1)
        command = command[:-1]
        if command == b"PING":
            self.request.sendall(b"PONG" + end)
            return
        assert command == b"INSTREAM", command
        data, chunks = b"", 0
        while size := struct.unpack("!L", stream.read(4))[0]:
            data += stream.read(size)
            chunks += 1
        self.server.received.append((data, chunks))
        answer = b"stream: Eicar-Test-Signature FOUND" if EICAR in data else b"stream: OK"
        self.request.sendall(answer + end)


@pytest.fixture
def clamd_socket(tmp_path):
    path = str(tmp_path / "clamd.ctl")
    server = socketserver.ThreadingUnixStreamServer(path, _FakeClamd)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path, server
    server.shutdown()
    server.server_close()


@pytest.fixture
def clamd_tcp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeClamd)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], server
    server.shutdown()
    server.server_close()


def test_clamd_refuses_the_eicar_test_file_and_the_refusal_is_audited(world, monkeypatch, clamd_socket):
    app, grenchen, _b = world
    path, server = clamd_socket
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", path)
    client = _officer(app, grenchen)
    infected = PDF + EICAR  # a PDF by its content, the test signature inside
    answer = _upload(client, infected, "befall.pdf")
    assert answer.status_code == 400
    assert "Die Datei «befall.pdf» enthält Schadsoftware (Eicar-Test-Signature) und wird nicht angenommen." \
        in answer.text
    assert server.received[-1][0] == infected
    assert _rows(grenchen) == []
    (event,) = _events(grenchen)
    assert event.action == "attachment.infected" and event.detail["filename"] == "befall.pdf"
    assert event.detail["verdicts"] == [{"scanner": "clamd", "signature": "Eicar-Test-Signature"}]
    # A clean file passes the same scanner, sent whole in chunks of 64 KiB.
    large = _pdf("x" * 100) + b"%" * 200_000
    assert _upload(client, large, "sauber.pdf").status_code == 201
    assert server.received[-1] == (large, 4)


def test_clamd_over_tcp(world, monkeypatch, clamd_tcp):
    app, _grenchen, _b = world
    port, server = clamd_tcp
    monkeypatch.setitem(app.config, "CLAMD_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CLAMD_PORT", port)
    with app.test_request_context():
        assert scanning.clamd_verdict(EICAR) == scanning.Verdict("clamd", True, "Eicar-Test-Signature")
        assert scanning.clamd_verdict(b"harmless") == scanning.Verdict("clamd", False)
    assert [data for data, _chunks in server.received] == [EICAR, b"harmless"]


def test_a_scanner_that_cannot_answer_refuses_the_file(world, monkeypatch, tmp_path):
    app, grenchen, _b = world
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", str(tmp_path / "nobody-listens.ctl"))
    answer = _upload(_officer(app, grenchen), PDF, "a.pdf")
    assert answer.status_code == 400 and "konnte nicht auf Viren geprüft werden" in answer.text
    assert _rows(grenchen) == []


def test_without_clamd_core_does_not_scan_and_a_plugin_scanner_is_asked(world):
    app, grenchen, _b = world
    with app.test_request_context():
        assert scanning.clamd_verdict(EICAR) is None
    answer = _upload(_officer(app, grenchen), PDF + PLUGIN_VIRUS, "a.pdf")
    assert answer.status_code == 400 and "Schadsoftware (Notes.Test)" in answer.text
    assert [e.detail["verdicts"] for e in _events(grenchen)] == [[{"scanner": "notes-scanner",
                                                                  "signature": "Notes.Test"}]]

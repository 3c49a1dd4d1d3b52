"""The daily digest of core's worklist, with Informieren's items: one mail per member who has something to do,
through a real SMTP server (aiosmtpd), once a day, else the outbox."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from core import clock, jobs, mail, provisioning, worklist
from core.audit import AuditEvent
from core.auth import User
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import make_user
from tests.informieren.test_interviews import TODAY, make_person, setup_world
from tests.informieren.test_worklist import add_letter


@pytest.fixture
def world(ctx, monkeypatch):
    return setup_world(monkeypatch)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received: (envelope sender, recipients, parsed message)."""

    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    def by_recipient(self) -> dict:
        return {rcpt: message for _sender, rcpts, message in self.messages for rcpt in rcpts}


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                       "MAIL_USERNAME": None, "MAIL_PASSWORD": None,
                       "MAIL_FROM": "start.integration <noreply@so.example>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()


@pytest.fixture
def staff(world):
    """Grenchen's staff: an officer, residents' services, one with both roles, and some who get nothing."""
    a, b, _off = world
    people = {
        "officer": make_user((a, "integration_officer"), name="Olga Offizier"),
        "services": make_user((a, "residents_services"), name="Ernst Einwohner"),
        "both": make_user((a, "residents_services"), (a, "integration_officer"), name="Beat Beides"),
        "admin": make_user((a, "tenant_admin"), name="Anna Admin"),
        "reader": make_user((a, "read_only"), name="Lena Lesend"),
        "balsthal": make_user((b, "integration_officer"), name="Bruno Balsthal"),
    }
    silent = make_user((a, "integration_officer"), name="Ohne Adresse")
    silent.email = ""
    db.session.commit()
    return people


def _emails(people, *keys) -> set[str]:
    return {people[key].email for key in keys}


def test_each_officer_gets_one_mail_with_what_is_due_for_them(app, world, staff, smtp):
    a, _b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20), first_name="Spät")  # letter overdue, interview due
    make_person(a, arrival=TODAY - timedelta(days=3), first_name="Neu")  # letter due, interview due
    result = jobs.run_periodic("worklist.digest")
    assert result["grenchen"] == {"sent": 3, "failed": 0}
    assert result["balsthal"] == {"sent": 0, "failed": 0}  # nothing due there: no mail
    assert result["dornach"] == {"sent": 0, "failed": 0}  # Informieren not active: nothing due
    received = smtp.by_recipient()
    assert set(received) == _emails(staff, "officer", "services", "both")
    assert all(len(rcpts) == 1 for _s, rcpts, _m in smtp.messages)
    officer = received[staff["officer"].email]
    assert officer["Subject"] == "start.integration Grenchen: fällige Aufgaben am 15.06.2017"
    sender = officer["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("start.integration", "noreply@so.example")
    body = officer.get_content()
    assert body.startswith("Guten Tag Olga Offizier")
    assert "Begrüssungsschreiben überfällig: 1 (früheste Frist 09.06.2017)" in body
    assert "Begrüssungsschreiben fällig: 1 (früheste Frist 26.06.2017)" in body
    assert "Erstinformationsgespräch fällig: 2 (früheste Frist 24.08.2017)" in body
    assert "Spät" not in body and "Neu Muster" not in body  # names stay in the application
    assert body.index("überfällig") < body.index("Begrüssungsschreiben fällig")  # overdue first
    assert "/grenchen/" in body
    services = received[staff["services"].email].get_content()
    assert "Begrüssungsschreiben überfällig: 1" in services and "Erstinformationsgespräch" not in services


def test_the_digest_goes_out_once_a_day(app, world, staff, smtp, monkeypatch):
    a, _b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20))
    jobs.run_periodic("worklist.digest")
    assert jobs.run_periodic("worklist.digest")["grenchen"] == "already sent"
    assert len(smtp.messages) == 3
    with tenant_scope(a):
        marks = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "core.digest")).all()
    assert [(m.object_id, m.detail, m.actor) for m in marks] == [
        ("2017-06-15", {"sent": 3, "failed": 0}, "system:worklist.digest")]
    monkeypatch.setattr(clock, "today", lambda: TODAY + timedelta(days=1))
    assert jobs.run_periodic("worklist.digest")["grenchen"] == {"sent": 3, "failed": 0}
    assert len(smtp.messages) == 6


def test_no_digest_where_it_is_switched_off_or_nothing_is_due(app, world, staff, smtp):
    a, b, _off = world
    make_person(b, arrival=TODAY - timedelta(days=20))
    provisioning.set_setting(b, worklist.DIGEST_SETTING, False)
    done = make_person(a, arrival=TODAY - timedelta(days=20))
    add_letter(a, done)
    with tenant_scope(a):
        from plugins.informieren.models import Interview

        db.session.add(Interview(person_id=done.id, invitation="letter", invited_on=TODAY, outcome="held",
                                 held_on=TODAY, created_by="test"))
    db.session.commit()
    result = jobs.run_periodic("worklist.digest")
    assert result["balsthal"] == "off" and result["grenchen"] == {"sent": 0, "failed": 0}
    assert smtp.messages == []


def test_a_tenant_adjusted_role_changes_what_its_digest_holds(app, world, staff, smtp):
    from core.access import set_grant

    a, _b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20))
    set_grant(a, "residents_services", "informieren.letters.manage", False)
    db.session.commit()
    jobs.run_periodic("worklist.digest")
    assert set(smtp.by_recipient()) == _emails(staff, "officer", "both")


def test_when_the_mail_server_is_down_a_second_run_tries_again(app, world, staff, monkeypatch):
    a, _b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20))
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    assert jobs.run_periodic("worklist.digest")["grenchen"] == {"sent": 0, "failed": 3}
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)  # now to the outbox
    assert jobs.run_periodic("worklist.digest")["grenchen"] == {"sent": 3, "failed": 0}


def test_without_a_mail_server_mails_land_in_the_outbox(app, world, staff, monkeypatch, tmp_path):
    a, _b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20))
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setattr(mail, "outbox", lambda: tmp_path / "outbox")
    jobs.run_periodic("worklist.digest")
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3
    messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {m["To"] for m in messages} == _emails(staff, "officer", "services", "both")
    assert all("Begrüssungsschreiben überfällig: 1" in m.get_content() for m in messages)


def test_the_outbox_is_in_the_instance_folder(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    before = set(mail.outbox().glob("*.eml")) if mail.outbox().exists() else set()
    message = mail.send("a@example.ch", "Betreff mit Umlaut: Grüsse", "Inhalt\n")
    written = set(mail.outbox().glob("*.eml")) - before
    assert len(written) == 1 and mail.outbox().parent == Path(app.instance_path)
    assert email.message_from_bytes(written.pop().read_bytes(), policy=policy.default)["Subject"] == message["Subject"]


def test_mail_logs_in_when_told(app, ctx, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "digest")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "geheim")
    mail.send(["a@example.ch", "b@example.ch"], "Test", "Hallo\n")
    assert smtp.logins == [("digest", "geheim")]
    assert smtp.messages[0][1] == ["a@example.ch", "b@example.ch"]


def test_the_digest_is_a_periodic_job_at_seven(app, ctx):
    job = jobs.periodic()["worklist.digest"]
    assert job.cron == "0 7 * * *"


def test_a_mail_is_written_in_the_recipients_language(app, world, staff, smtp, monkeypatch):
    a, _b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20))
    staff["officer"].language = "fr"  # stored at her login or when she chose French
    db.session.commit()
    seen = []
    original = worklist.digest_text

    def spy(*args):
        from flask_babel import get_locale

        seen.append((args[1].name, str(get_locale())))
        return original(*args)

    monkeypatch.setattr(worklist, "digest_text", spy)
    jobs.run_periodic("worklist.digest")
    assert ("Olga Offizier", "fr_CH") in seen and ("Ernst Einwohner", "de_CH") in seen
    french = smtp.by_recipient()[staff["officer"].email]
    assert "tâches" in french["Subject"] and "15.06.2017" in french["Subject"]


def test_an_unknown_language_falls_back_to_german(app, ctx):
    class Someone:
        language = "tlh"

    assert mail.language_of(Someone()) == "de" and mail.language_of(User(language=None)) == "de"

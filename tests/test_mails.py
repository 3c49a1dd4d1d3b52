"""Mails through a real SMTP server (aiosmtpd): an invitation with its link and expiry in the language the inviter
chose; course registrations, the waiting list and its moving up with an ``.ics`` for the calendar. A mail server
that refuses loses nothing."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from click.testing import CliRunner

from core import clock, provisioning
from core.auth import User
from core.db import db
from core.tenancy import get_tenant
from tests import test_worklist_digest
from tests.conftest import make_tenant
from tests.test_access import app_client_as
from tests.test_console import post_form
from tests.test_console_courses import add_course, staff
from tests.test_worklist_digest import free_port

smtp_server = test_worklist_digest.smtp  # a real SMTP server (aiosmtpd); the fixture is its inbox
URL = "/kanton/mandanten/grenchen"
FORM = {"invite-email": "Greta.Gerber@grenchen.example", "invite-role": "tenant_admin", "invite-days": "14"}


@pytest.fixture
def world(ctx):
    return make_tenant("kanton", kind="canton"), make_tenant("grenchen", communes=[2546]), make_tenant(
        "balsthal", communes=[2422])


@pytest.fixture
def canton_admin(app, world):
    return app_client_as(app, (world[0], "canton_admin"))


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def calendars(message) -> list[icalendar.Calendar]:
    return [icalendar.Calendar.from_ical(part.get_content()) for part in message.iter_attachments()
            if part.get_content_type() == "text/calendar"]


# -- invitations -----------------------------------------------------------------------------------


def test_an_invitation_mails_the_link_and_the_expiry_in_the_chosen_language(canton_admin, smtp_server):
    page = canton_admin.get(URL).text
    assert '<option selected value="de">Deutsch</option>' in page and '<option value="fr">Français</option>' in page
    sent = post_form(canton_admin, URL, URL + "/einladungen", **FORM, **{"invite-language": "fr"})
    assert sent.status_code == 302
    assert "hat eine E-Mail mit dem Link erhalten" in canton_admin.get(URL).text
    [(_sender, recipients, message)] = smtp_server.messages
    assert recipients == ["greta.gerber@grenchen.example"]
    [invitation] = provisioning.invitations(get_tenant("grenchen"))
    expiry = clock.utcnow() + timedelta(days=14)
    text = body(message)
    assert message["Subject"] == "Invitation à start.integration : Grenchen"
    assert "http://localhost/auth/login?tenant=grenchen" in text
    assert invitation.expires_at.astimezone(clock.ZURICH).strftime("%d.%m.%Y") == expiry.astimezone(
        clock.ZURICH).strftime("%d.%m.%Y")
    assert expiry.astimezone(clock.ZURICH).strftime("%d.%m.%Y") in text and "Administration" in text

    again = post_form(canton_admin, URL, URL + "/einladungen", **FORM)
    assert again.status_code == 302 and len(smtp_server.messages) == 1  # the same open invitation: no second mail


def test_the_inviters_language_is_the_default(canton_admin, smtp_server):
    canton_admin.get("/language/it")
    assert '<option selected value="it">Italiano</option>' in canton_admin.get(URL).text
    post_form(canton_admin, URL, URL + "/einladungen", **FORM)  # the field left out: the inviter's language
    [(_sender, _recipients, message)] = smtp_server.messages
    assert message["Subject"].startswith("Invito a start.integration")


def test_a_refused_mail_keeps_the_invitation_and_gives_the_link(canton_admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    assert post_form(canton_admin, URL, URL + "/einladungen", **FORM).status_code == 302
    page = canton_admin.get(URL).text
    assert "die E-Mail konnte nicht gesendet werden" in page and "/auth/login?tenant=grenchen" in page
    assert [i.state for i in provisioning.invitations(get_tenant("grenchen"))] == ["pending"]


def test_a_bad_address_sends_nothing(canton_admin, smtp_server):
    bad = post_form(canton_admin, URL, URL + "/einladungen", **{**FORM, "invite-email": "greta"})
    assert bad.status_code == 400 and smtp_server.messages == []


def test_the_cli_invites_with_a_mail_in_its_language(app, world, smtp_server):
    result = CliRunner().invoke(app.cli, ["tenants", "invite", "grenchen", "ana@balsthal.example", "--language",
                                          "en"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [(_sender, _recipients, message)] = smtp_server.messages
    assert message["Subject"] == "Invitation to start.integration: Grenchen"
    assert "/auth/login?tenant=grenchen" in body(message)


# -- courses ---------------------------------------------------------------------------------------


def full_course(app, world, title):
    """A course of one seat: Anna of Grenchen has it, Carla of Balsthal waits."""
    canton, grenchen, balsthal = world
    course = add_course(canton, capacity=1, title=title)
    anna_client, anna, token = staff(app, grenchen, "Anna Aebi")
    anna_client.post(f"/grenchen/kurse/{course.id}/anmelden", data={"csrf_token": token})
    carla_client, carla, carla_token = staff(app, balsthal, "Carla Conti")
    carla_client.post(f"/balsthal/kurse/{course.id}/anmelden", data={"csrf_token": carla_token})
    return course, (anna_client, anna, token), carla


def test_a_registration_mails_a_calendar_entry_the_waiting_list_none(app, world, smtp_server):
    course, (_client, anna, _token), carla = full_course(app, world, "Einführung Informieren")

    mails = smtp_server.by_recipient()
    seat, waiting = mails[anna.email], mails[carla.email]
    assert seat["Subject"] == "Anmeldung bestätigt: Einführung Informieren"
    assert "Wo: Solothurn, Ambassadorenhof" in body(seat) and "/grenchen/kurse" in body(seat)
    [entry] = calendars(seat)
    [event] = entry.walk("VEVENT")
    assert str(entry["method"]) == "PUBLISH" and str(event["summary"]) == "Einführung Informieren"
    assert event.decoded("dtstart") == course.starts_at.replace(microsecond=0)
    assert event.decoded("dtend") == course.ends_at.replace(microsecond=0)
    assert waiting["Subject"] == "Warteliste: Einführung Informieren" and calendars(waiting) == []
    assert "/balsthal/kurse" in body(waiting)


def test_moving_up_mails_the_calendar_entry_and_a_cancellation_takes_it_out(app, world, smtp_server):
    course, (anna_client, anna, token), carla = full_course(app, world, "Einführung Fördern")
    _set_language(carla, "fr")
    smtp_server.messages.clear()

    anna_client.post(f"/grenchen/kurse/{course.id}/abmelden", data={"csrf_token": token})
    mails = smtp_server.by_recipient()
    cancelled, moved = mails[anna.email], mails[carla.email]
    [gone] = calendars(cancelled)
    assert str(gone["method"]) == "CANCEL" and str(gone.walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert moved["Subject"] == "Une place s’est libérée : Einführung Fördern"  # in her language
    [entry] = calendars(moved)
    assert str(entry.walk("VEVENT")[0]["status"]) == "CONFIRMED"
    assert str(gone.walk("VEVENT")[0]["uid"]) != str(entry.walk("VEVENT")[0]["uid"])  # one entry per person


def test_more_seats_mail_those_who_move_up(app, world, smtp_server):
    canton, grenchen, _balsthal = world
    course = add_course(canton, capacity=1)
    for name in ("Anna Aebi", "Beat Bucher"):
        client, _user, token = staff(app, grenchen, name)
        client.post(f"/grenchen/kurse/{course.id}/anmelden", data={"csrf_token": token})
    smtp_server.messages.clear()
    office = app_client_as(app, (canton, "canton_office"))
    start, end = (t.astimezone(clock.ZURICH) for t in (course.starts_at, course.ends_at))
    post_form(office, f"/kanton/kurse/{course.id}/bearbeiten", **{
        "title": course.title, "place": course.place, "capacity": "2", "published": "y",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M")})
    [(_sender, _recipients, message)] = smtp_server.messages
    assert message["Subject"].startswith("Ein Platz ist frei geworden") and len(calendars(message)) == 1


def test_a_refused_course_mail_keeps_the_registration(app, world, monkeypatch):
    canton, grenchen, _balsthal = world
    course = add_course(canton, capacity=1)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    client, _user, token = staff(app, grenchen, "Anna Aebi")
    page = client.post(f"/grenchen/kurse/{course.id}/anmelden", data={"csrf_token": token}, follow_redirects=True)
    assert "Sie sind angemeldet." in page.text and "konnte nicht gesendet werden" in page.text


def _set_language(user: User, language: str) -> None:
    db.session.get(User, user.id).language = language
    db.session.commit()

"""First-information interviews: invitation, outcome, topics checklist, roles, tenants, audit, timeline."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core import clock, modules, provisioning
from core.audit import AuditEvent
from core.db import db
from core.people import timeline as people_timeline
from core.tenancy import tenant_scope
from plugins.informieren.interviews import checklist
from plugins.informieren.models import Interview, Newcomer, Stage
from tests.conftest import login_as, make_tenant

TODAY = date(2017, 6, 15)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def world(ctx, monkeypatch):
    return setup_world(monkeypatch)


def setup_world(monkeypatch):
    """Grenchen and Balsthal with Informieren active, Dornach without; today is 15 June 2017."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    a = make_tenant("grenchen", communes=[2546])
    b = make_tenant("balsthal", communes=[2422])
    off = make_tenant("dornach", communes=[2473])
    for tenant in (a, b):
        modules.entitle(tenant, "informieren")
        modules.activate(tenant, "informieren", date(2017, 1, 1))
    modules.entitle(off, "informieren")
    db.session.commit()
    return a, b, off


def make_person(tenant, arrival=date(2017, 5, 1), **values) -> Newcomer:
    bfs = {"grenchen": 2546, "balsthal": 2422, "dornach": 2473}.get(tenant.slug, 2546)
    with tenant_scope(tenant):
        person = Newcomer(official_name=values.pop("official_name", "Muster"),
                          first_name=values.pop("first_name", "Ana"), arrival_date=arrival, municipality_bfs=bfs,
                          nationalities=values.pop("nationalities", ["PT"]), languages=values.pop("languages", ["pt"]),
                          **values)
        db.session.add(person)
        db.session.flush()
    db.session.commit()
    return person


def officer(client, tenant, role="integration_officer"):
    return login_as(client, (tenant, role), name="Olga Offizier")


def invite_form(client, tenant, person, **values):
    url = f"/{tenant.slug}/informieren/personen/{person.id}/gespraeche/neu"
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "invitation": "appointment", "invited_on": "2017-06-01",
            "appointment_date": "2017-06-20", "appointment_time": "14:30", "place": "Stadthaus, Zimmer 3",
            "interpreter_language": "ti", **values}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def interviews_of(tenant, person) -> list[Interview]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Interview).where(Interview.person_id == person.id)
                                  .order_by(Interview.created_at)).all()


def outcome_form(client, tenant, interview, **values):
    url = f"/{tenant.slug}/informieren/gespraeche/{interview.id}/ergebnis"
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "outcome": "held", "held_on": "2017-06-14",
            "topics": ["living", "work"], "notes": "Sucht Deutschkurs am Abend.", **values}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def reload(tenant, obj):
    with tenant_scope(tenant):
        return db.session.get(type(obj), sa.inspect(obj).identity, populate_existing=True)


def audit_actions(tenant, action_prefix="sensitive.") -> list[tuple[str, str]]:
    with tenant_scope(tenant):
        return db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.object_type).where(AuditEvent.action.startswith(action_prefix))
            .order_by(AuditEvent.occurred_at)
        ).all()


# -- invitations -----------------------------------------------------------------------------


def test_an_appointment_is_entered_in_swiss_time_and_stored_in_utc(client, world):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    response = invite_form(client, a, person)
    assert response.status_code == 302
    [interview] = interviews_of(a, person)
    assert interview.appointment_at == datetime(2017, 6, 20, 12, 30, tzinfo=UTC)  # 14:30 summer time
    assert (interview.invitation, interview.place, interview.interpreter_language) == (
        "appointment", "Stadthaus, Zimmer 3", "ti")
    assert reload(a, person).stage == Stage.INVITED
    page = client.get(f"/grenchen/informieren/personen/{person.id}/gespraeche")
    assert "20.06.17, 14:30" in page.text and "Tigrinya" in page.text
    assert f'href="/grenchen/personen/{person.id}"' in page.text  # the person's page is core's
    assert ("sensitive.create", "informieren_interviews") in audit_actions(a)


def test_a_winter_appointment_is_one_hour_ahead_of_utc(client, world):
    a, _b, _off = world
    person = make_person(a, arrival=date(2016, 12, 1))
    officer(client, a)
    invite_form(client, a, person, invited_on="2016-12-01", appointment_date="2017-01-10", appointment_time="09:00")
    assert interviews_of(a, person)[0].appointment_at == datetime(2017, 1, 10, 8, 0, tzinfo=UTC)


def test_an_invitation_by_letter_needs_no_appointment(client, world):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    response = invite_form(client, a, person, invitation="letter", appointment_date="", appointment_time="",
                           place="", interpreter_language="")
    assert response.status_code == 302
    [interview] = interviews_of(a, person)
    assert (interview.invitation, interview.appointment_at, interview.place) == ("letter", None, None)


@pytest.mark.parametrize(("values", "message"), [
    ({"invitation": None}, "Bitte wählen Sie, ob per Brief oder mit einem Termin eingeladen wird."),
    ({"invitation": "fax"}, "Bitte eine der angebotenen Möglichkeiten wählen."),
    ({"invited_on": ""}, "Bitte geben Sie das Datum der Einladung an."),
    ({"invited_on": "gestern"}, "Bitte ein gültiges Datum eingeben."),
    ({"invited_on": "2017-06-16"}, "Das Datum der Einladung darf nicht in der Zukunft liegen."),
    ({"appointment_date": ""}, "Für einen Termin braucht es ein Datum."),
    ({"appointment_time": ""}, "Für einen Termin braucht es eine Uhrzeit."),
    ({"appointment_time": "25:99"}, "Bitte eine gültige Uhrzeit eingeben (HH:MM)."),
    ({"appointment_date": "2017-05-31"}, "Der Termin kann nicht vor der Einladung liegen."),
    ({"place": "x" * 201}, "Höchstens 200 Zeichen."),
    ({"interpreter_language": "xx"}, "Unbekannte Sprache."),
])
def test_invitation_errors_are_explained_in_german_and_keep_the_input(client, world, values, message):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    response = invite_form(client, a, person, **values)
    assert response.status_code == 200
    assert message in response.text
    assert "Stadthaus, Zimmer 3" in response.text or "place" in values  # nothing typed is lost
    assert interviews_of(a, person) == []


def test_an_invitation_can_be_changed(client, world):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    url = f"/grenchen/informieren/gespraeche/{interview.id}/einladung"
    page = client.get(url)
    assert 'value="14:30"' in page.text and 'value="2017-06-20"' in page.text  # shown in Swiss time
    response = client.post(url, data={"csrf_token": csrf_token(page.text), "invitation": "appointment",
                                      "invited_on": "2017-06-01", "appointment_date": "2017-06-21",
                                      "appointment_time": "08:15", "place": "Schulhaus", "interpreter_language": ""})
    assert response.status_code == 302
    changed = reload(a, interview)
    assert changed.appointment_at == datetime(2017, 6, 21, 6, 15, tzinfo=UTC)
    assert (changed.place, changed.interpreter_language) == ("Schulhaus", None)
    assert len(interviews_of(a, person)) == 1


# -- outcomes ----------------------------------------------------------------------------------


def test_a_held_interview_records_date_topics_and_notes(client, world):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    response = outcome_form(client, a, interview)
    assert response.status_code == 302
    done = reload(a, interview)
    assert (done.outcome, done.held_on) == ("held", date(2017, 6, 14))
    assert done.topics == [{"key": "living", "label": "Leben in der Schweiz"}, {"key": "work", "label": "Arbeit"}]
    assert done.notes == "Sucht Deutschkurs am Abend."
    assert done.handed_over is None
    assert reload(a, person).stage == Stage.HELD
    page = client.get(f"/grenchen/informieren/personen/{person.id}/gespraeche")
    assert "Sucht Deutschkurs am Abend." in page.text and "Leben in der Schweiz, Arbeit" in page.text
    assert "An Fördern übergeben" not in page.text


@pytest.mark.parametrize(("values", "message"), [
    ({"outcome": None}, "Bitte wählen Sie das Ergebnis."),
    ({"outcome": "maybe"}, "Bitte eine der angebotenen Möglichkeiten wählen."),
    ({"held_on": ""}, "Für ein geführtes Gespräch braucht es das Datum."),
    ({"held_on": "14.06.2017x"}, "Bitte ein gültiges Datum eingeben."),
    ({"held_on": "2017-06-16"}, "Das Datum darf nicht in der Zukunft liegen."),
    ({"topics": ["living", "astrology"]}, "Unbekanntes Thema; bitte nur Themen der Liste wählen."),
    ({"notes": "x" * 10001}, "Höchstens 10000 Zeichen."),
])
def test_outcome_errors_are_explained_in_german(client, world, values, message):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    response = outcome_form(client, a, interview, **values)
    assert response.status_code == 200
    assert message in response.text
    assert reload(a, interview).outcome is None


@pytest.mark.parametrize(("outcome", "stage"), [("no_show", Stage.NO_SHOW), ("declined", Stage.DECLINED),
                                                ("cancelled", Stage.NEW)])
def test_other_outcomes_need_no_date_and_keep_no_topics(client, world, outcome, stage):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    assert outcome_form(client, a, interview, outcome=outcome, held_on="").status_code == 302
    done = reload(a, interview)
    assert done.outcome == outcome
    assert done.held_on == date(2017, 6, 15)  # the appointment lies ahead: the day it was recorded
    assert done.topics == []
    assert reload(a, person).stage == stage


def test_submitting_the_outcome_twice_changes_nothing_the_second_time(client, world):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    url = f"/grenchen/informieren/gespraeche/{interview.id}/ergebnis"
    token = csrf_token(client.get(url).text)
    data = {"csrf_token": token, "outcome": "held", "held_on": "2017-06-14", "topics": ["health"], "notes": "ok"}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # the double click
    assert len(interviews_of(a, person)) == 1
    updates = [row for row in audit_actions(a) if row[0] == "sensitive.update"]
    assert len(updates) == 1
    assert reload(a, interview).topics == [{"key": "health", "label": "Gesundheit"}]


def test_an_interview_keeps_its_topics_when_the_checklist_changes(client, world):
    a, _b, _off = world
    person = make_person(a)
    checklist.add_topic(a, "Velofahren")
    db.session.commit()
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    outcome_form(client, a, interview, topics=["Velofahren", "housing"])
    checklist.remove_topic(a, "Velofahren")
    checklist.remove_topic(a, "housing")
    db.session.commit()
    assert reload(a, interview).topics == [{"key": "housing", "label": "Wohnen"},
                                           {"key": "Velofahren", "label": "Velofahren"}]
    page = client.get(f"/grenchen/informieren/gespraeche/{interview.id}/ergebnis")
    assert "Velofahren" in page.text and "Wohnen" in page.text  # still offered on this interview
    assert "Velofahren" in client.get(f"/grenchen/informieren/personen/{person.id}/gespraeche").text


def test_shipped_topic_labels_are_translated_when_shown(client, world):
    a, _b, _off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    outcome_form(client, a, interview, topics=["work"])
    assert reload(a, interview).topics == [{"key": "work", "label": "Arbeit"}]  # stored in German
    client.get("/language/fr")
    page = client.get(f"/grenchen/informieren/personen/{person.id}/gespraeche")
    assert page.status_code == 200


# -- the checklist on the settings page -----------------------------------------------------------


def _topic_action(client, **data):
    page = client.get("/grenchen/informieren/einstellungen")
    assert page.status_code == 200
    return client.post("/grenchen/informieren/einstellungen/themen",
                       data={"csrf_token": csrf_token(page.text), **data}, follow_redirects=True)


def test_the_checklist_is_edited_on_the_settings_page(client, world):
    a, _b, _off = world
    login_as(client, (a, "tenant_admin"))
    assert provisioning.get_setting(a, "informieren.interview_topics") == list(checklist.DEFAULT_TOPICS)
    page = _topic_action(client, action="add", label="  Velo   fahren ")
    assert "Die Themenliste ist gespeichert." in page.text
    _topic_action(client, action="remove", key="health")
    _topic_action(client, action="up", key="Velo fahren")
    _topic_action(client, action="down", key="living")
    expected = ["offers", "living", "rights_duties", "language", "work", "school_childcare", "Velo fahren", "housing"]
    assert provisioning.get_setting(a, "informieren.interview_topics") == expected
    page = client.get("/grenchen/informieren/einstellungen")
    assert "Wieder aufnehmen" in page.text and "Gesundheit" in page.text
    _topic_action(client, action="add", label="health")  # the shipped topic comes back by its key
    assert provisioning.get_setting(a, "informieren.interview_topics")[-1] == "health"
    _topic_action(client, action="add", label="gesundheit")
    assert provisioning.get_setting(a, "informieren.interview_topics").count("health") == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "add", "label": "   "}, "Bitte geben Sie die Bezeichnung des Themas ein."),
    ({"action": "add", "label": "x" * 101}, "Die Bezeichnung darf höchstens 100 Zeichen lang sein."),
    ({"action": "add", "label": "Arbeit"}, "Das Thema «Arbeit» steht schon auf der Liste."),
    ({"action": "remove", "key": "astrology"}, "Dieses Thema steht nicht auf der Liste."),
    ({"action": "up", "key": "astrology"}, "Dieses Thema steht nicht auf der Liste."),
    ({"action": "explode", "key": "work"}, "Unbekannte Aktion."),
])
def test_checklist_errors_are_explained_in_german(client, world, data, message):
    a, _b, _off = world
    login_as(client, (a, "integration_officer"))
    page = _topic_action(client, **data)
    assert page.status_code == 200 and message in page.text
    assert provisioning.get_setting(a, "informieren.interview_topics") == list(checklist.DEFAULT_TOPICS)


# -- roles, tenants, module ----------------------------------------------------------------------


def _urls(tenant, person, interview):
    base = f"/{tenant.slug}/informieren"
    return {
        "person": f"{base}/personen/{person.id}/gespraeche",
        "new": f"{base}/personen/{person.id}/gespraeche/neu",
        "invitation": f"{base}/gespraeche/{interview.id}/einladung",
        "outcome": f"{base}/gespraeche/{interview.id}/ergebnis",
        "list": f"{base}/gespraeche",
        "settings": f"{base}/einstellungen",
    }


@pytest.fixture
def recorded(client, world):
    a, b, off = world
    person = make_person(a)
    officer(client, a)
    invite_form(client, a, person)
    [interview] = interviews_of(a, person)
    outcome_form(client, a, interview, notes="Vertraulich: Schwierigkeiten mit der Wohnung.")
    return a, b, off, person, interview


@pytest.mark.parametrize(("role", "expected"), [
    ("integration_officer", {"person": 200, "new": 200, "invitation": 200, "outcome": 200, "list": 200,
                             "settings": 200}),
    ("tenant_admin", {"person": 200, "new": 403, "invitation": 403, "outcome": 403, "list": 200, "settings": 200}),
    ("residents_services", {"person": 403, "new": 403, "invitation": 403, "outcome": 403, "list": 403,
                            "settings": 403}),
    ("read_only", {"person": 403, "new": 403, "invitation": 403, "outcome": 403, "list": 403, "settings": 403}),
])
def test_only_the_roles_that_need_them_see_interviews(app, recorded, role, expected):
    a, _b, _off, person, interview = recorded
    client = app.test_client()
    login_as(client, (a, role))
    for name, url in _urls(a, person, interview).items():
        response = client.get(url)
        assert response.status_code == expected[name], f"{role}: {name}"
        if name == "person" and response.status_code == 403:
            assert "Vertraulich" not in response.text
    if role == "residents_services":
        post = client.post(_urls(a, person, interview)["outcome"], data={"outcome": "declined"})
        assert post.status_code in (400, 403)  # refused (CSRF or permission), nothing changed
        assert reload(a, interview).outcome == "held"


def test_another_tenants_interviews_are_not_found(app, recorded):
    a, b, _off, person, interview = recorded
    other = make_person(b)
    client = app.test_client()
    login_as(client, (b, "integration_officer"))
    for url in _urls(a, person, interview).values():
        assert client.get(url).status_code == 404  # not a member of Grenchen
    for name, url in _urls(b, person, interview).items():  # Grenchen's ids in Balsthal's pages
        if name not in ("list", "settings"):
            assert client.get(url).status_code == 404, name
    assert client.get(f"/balsthal/informieren/personen/{other.id}/gespraeche").status_code == 200
    assert client.get(f"/balsthal/informieren/personen/{uuid.uuid4()}/gespraeche").status_code == 404
    assert "Muster" not in client.get("/balsthal/informieren/gespraeche").text


def test_where_the_module_is_off_every_interview_page_answers_404(app, world):
    _a, _b, off = world
    person = make_person(off)
    client = app.test_client()
    login_as(client, (off, "integration_officer"))
    for url in _urls(off, person, type("I", (), {"id": uuid.uuid4()})).values():
        assert client.get(url).status_code == 404, url


def test_reading_an_interview_is_audited(app, recorded):
    a, _b, _off, person, _interview = recorded
    client = app.test_client()
    reader = login_as(client, (a, "tenant_admin"))
    page = client.get(f"/grenchen/informieren/personen/{person.id}/gespraeche")
    assert "Vertraulich" in page.text
    with tenant_scope(a):
        reads = db.session.execute(
            sa.select(AuditEvent.object_type, AuditEvent.object_id)
            .where(AuditEvent.action == "sensitive.read", AuditEvent.actor == f"user:{reader.id}")
        ).all()
    assert reads == [("informieren_interviews", str((_interview.id,)))]


# -- the overview, the timeline ---------------------------------------------------------------------------


def test_the_overview_lists_upcoming_appointments_and_open_invitations(client, world):
    a, _b, _off = world
    coming, waiting, done = make_person(a, first_name="Kommt"), make_person(a, first_name="Wartet"), make_person(
        a, first_name="Fertig")
    officer(client, a)
    invite_form(client, a, coming)
    invite_form(client, a, waiting, invitation="letter", appointment_date="", appointment_time="")
    invite_form(client, a, done, appointment_date="2017-06-10")
    outcome_form(client, a, interviews_of(a, done)[0], held_on="2017-06-10")
    page = client.get("/grenchen/informieren/gespraeche")
    upcoming, pending = page.text.split("<h2>Offene Einladungen")  # the heading, not its table's region label
    assert "Kommt Muster" in upcoming and "20.06.17, 14:30" in upcoming and "Wartet" not in upcoming
    assert "Wartet Muster" in pending and "Kommt" not in pending
    assert "Fertig" not in page.text


def test_the_timeline_tells_invitation_and_outcome_without_notes(app, recorded):
    a, _b, _off, person, _interview = recorded
    db.session.expire_all()  # the requests changed the rows in sessions of their own
    with tenant_scope(a):
        entries = people_timeline(modules.tenant_hooks(a), a, person.id)
    mine = [entry for entry in entries if "Erstinformationsgespräch" in str(entry.title)]  # not the register's
    titles = [str(entry.title) for entry in mine]
    assert titles == ["Erstinformationsgespräch: Gespräch geführt", "Zum Erstinformationsgespräch eingeladen"]
    assert all("Vertraulich" not in entry.detail for entry in mine)
    assert mine[0].at > mine[1].at
    assert mine[1].detail.startswith("Termin 20.06.17")
    assert mine[1].url is None  # outside a request nobody's permissions are known: no link

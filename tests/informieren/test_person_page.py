"""Informieren on core's person page: its panel (what it keeps, links as the user may), the redirect, and its
part of the export of everything held about a person."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core import modules
from core.audit import AuditEvent
from core.db import db
from core.people import Person
from core.tenancy import tenant_scope
from plugins.informieren.models import ImportItem, ImportRun, Interview, PersonChange, WelcomeLetter
from tests.conftest import login_as
from tests.informieren.register_support import fact
from tests.informieren.test_interviews import make_person, setup_world


@pytest.fixture
def world(ctx, monkeypatch):
    return setup_world(monkeypatch)


def core_page(client, tenant, person) -> str:
    response = client.get(f"/{tenant.slug}/personen/{person.id}")
    assert response.status_code == 200
    return response.text


def panel_links(page: str) -> set[str]:
    """The paths the Informieren panel links to, with the person's id as ``ID``."""
    panel = re.search(r"<h2>Informieren</h2>(.*?)</section>", page, re.S)
    assert panel, "no Informieren panel"
    return set(re.findall(r'href="/grenchen/informieren/([^"]*)"', panel[1]))


def test_the_panel_shows_what_informieren_keeps(client, world):
    a, _b, _off = world
    person = make_person(a, permit_category="F", eu_efta=False, source="ech0020", stage="letter_sent")
    login_as(client, (a, "read_only"))
    page = core_page(client, a, person)
    assert fact(page, "Zuzug aus dem Ausland") == "01.05.2017"
    assert fact(page, "Bewilligung bei Zuzug") == "F (vorläufig Aufgenommene)"
    assert fact(page, "EU/EFTA") == "Drittstaat" and fact(page, "Stand") == "Schreiben versandt"
    assert fact(page, "Herkunft des Eintrags") == "Meldung des Einwohnerregisters (eCH-0020)"
    assert panel_links(page) == set()  # read only: nothing to open or change


@pytest.mark.parametrize(("role", "expected"), [
    ("residents_services", {"personen/ID/bearbeiten", "schreiben", "personen/neu?mit=ID"}),
    ("integration_officer", {"personen/ID/bearbeiten", "schreiben", "personen/ID/gespraeche", "personen/neu?mit=ID"}),
    ("tenant_admin", {"personen/ID/gespraeche"}),
])
def test_the_panels_links_follow_the_users_permissions(client, world, role, expected):
    a, _b, _off = world
    person = make_person(a)
    login_as(client, (a, role))
    links = {link.replace(str(person.id), "ID") for link in panel_links(core_page(client, a, person))}
    assert links == expected
    for link in links:  # each leads somewhere the user may go
        assert client.get(f"/grenchen/informieren/{link.replace('ID', str(person.id))}").status_code == 200


def test_the_letter_link_leads_to_the_persons_batch(client, world):
    a, _b, _off = world
    person = make_person(a)
    job_id = uuid.uuid4()
    with tenant_scope(a):
        db.session.add(WelcomeLetter(person_id=person.id, household_key="h", language="pt", state="generated",
                                     job_id=job_id))
    db.session.commit()
    login_as(client, (a, "residents_services"))
    assert f"schreiben/serien/{job_id}" in panel_links(core_page(client, a, person))


def test_no_panel_for_someone_who_is_no_newcomer_or_where_informieren_is_off(client, world):
    a, _b, _off = world
    with tenant_scope(a):
        other = Person(official_name="Andere", first_name="Eva", municipality_bfs=2546)
        db.session.add(other)
    db.session.commit()
    newcomer = make_person(a)
    login_as(client, (a, "integration_officer"))
    assert "<h2>Informieren</h2>" not in core_page(client, a, other)
    modules.suspend(a, "informieren")
    db.session.commit()
    assert "<h2>Informieren</h2>" not in core_page(client, a, newcomer)  # switched off: hidden, data kept


def test_informierens_person_page_leads_to_cores(client, world):
    a, b, _off = world
    person = make_person(a)
    theirs = make_person(b)
    login_as(client, (a, "read_only"))
    response = client.get(f"/grenchen/informieren/personen/{person.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/grenchen/personen/{person.id}"
    assert client.get(f"/grenchen/informieren/personen/{theirs.id}").status_code == 404  # another tenant's
    assert client.get(f"/grenchen/informieren/personen/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/balsthal/informieren/personen/{theirs.id}").status_code == 404  # not a member there
    listing = client.get("/grenchen/informieren/personen").text
    assert f'href="/grenchen/personen/{person.id}"' in listing
    assert f'href="/grenchen/informieren/personen/{person.id}"' not in listing


# -- the right of access: Informieren's part of the export -----------------------------------------------------


VN = "7569217076985"


def export(client, tenant, person, **headers):
    response = client.get(f"/{tenant.slug}/personen/{person.id}/auskunft", headers=headers)
    assert response.status_code == 200
    return json.loads(response.data)["sections"]


def held_interview(tenant, person) -> Interview:
    with tenant_scope(tenant):
        interview = Interview(person_id=person.id, invitation="appointment", invited_on=date(2017, 5, 20),
                              appointment_at=datetime(2017, 6, 1, 12, 30, tzinfo=UTC), place="Stadthaus",
                              interpreter_language="ti", outcome="held", held_on=date(2017, 6, 1),
                              topics=[{"key": "work", "label": "Arbeit"}], notes="Sucht Deutschkurs.",
                              handed_over={"needs": ["Deutschkurs"], "offers": [], "on": "2017-06-01"},
                              created_by="user:1")
        db.session.add(interview)
    db.session.commit()
    return interview


def test_the_export_holds_the_newcomer_the_changes_the_letter_the_interviews_and_import_reports(client, world):
    a, _b, _off = world
    person = make_person(a, permit_category="B", eu_efta=True, stage="held", vn=VN, local_person_id="2546:7")
    stranger = make_person(a, first_name="Zoe", vn="7561234567897")
    with tenant_scope(a):
        db.session.add(PersonChange(person_id=person.id, actor="system", kind="corrected", source="ech0020",
                                    fields=["official_name"]))
        db.session.add(WelcomeLetter(person_id=person.id, household_key="h", language="pt", state="sent",
                                     sent_on=date(2017, 5, 10)))
        run = ImportRun(source="ech0020", requested_by="test")
        db.session.add(run)
        db.session.flush()
        db.session.add_all([
            ImportItem(import_id=run.id, position=3, outcome="rejected", reason="Gemeinde nicht betreut",
                       detail={"official_name": "Muster", "vn": VN}),
            ImportItem(import_id=run.id, position=4, outcome="review", reason="Herkunft unbekannt",
                       detail={"local_person_id": "2546:7", "municipality_bfs": 2546}),
            ImportItem(import_id=run.id, position=5, outcome="review", reason="Herkunft unbekannt",
                       detail={"local_person_id": "2546:7", "municipality_bfs": 2422}),  # another commune's
            ImportItem(import_id=run.id, position=6, outcome="rejected", reason="anderer",
                       detail={"vn": "7561234567897"}),
        ])
    db.session.commit()
    interview = held_interview(a, person)
    login_as(client, (a, "tenant_admin"))

    sections = export(client, a, person)
    assert next(iter(sections)) == "Person"  # core's identity first
    assert sections["Informieren: Zuzug und Stand"] == {
        "arrival_date": "2017-05-01", "permit_category": "B", "eu_efta": True, "source": "manual", "stage": "held"}
    [change] = sections["Informieren: Änderungen am Eintrag"]
    assert change["kind"] == "corrected" and change["fields"] == ["official_name"]
    letter = sections["Informieren: Begrüssungsschreiben"]
    assert (letter["state"], letter["language"], letter["sent_on"]) == ("sent", "pt", "2017-05-10")
    [held] = sections["Informieren: Erstinformationsgespräche"]
    assert (held["place"], held["notes"], held["outcome"], held["held_on"]) == (
        "Stadthaus", "Sucht Deutschkurs.", "held", "2017-06-01")
    assert held["appointment_at"].startswith("2017-06-01T12:30") and held["interpreter_language"] == "ti"
    assert held["topics"] == ["Arbeit"] and held["handed_over"]["needs"] == ["Deutschkurs"]
    items = sections["Informieren: Meldungen des Einwohnerregisters, die nicht übernommen wurden"]
    assert [item["position"] for item in items] == [3, 4]  # by AHV number, by the registry's id in the commune
    assert "Zoe" not in json.dumps(sections) and stranger.vn not in json.dumps(sections)
    with tenant_scope(a):  # reading the interview for the export is a sensitive read, audited
        reads = db.session.scalars(sa.select(AuditEvent.object_id).where(
            AuditEvent.action == "sensitive.read", AuditEvent.object_type == "informieren_interviews")).all()
    assert str(interview.id) in " ".join(reads)

    french = export(client, a, person, **{"Accept-Language": "fr"})
    assert any(title.startswith("Informer") for title in french)  # titles in the user's language


def test_the_export_of_someone_without_informieren_data_has_no_informieren_section(client, world):
    a, _b, _off = world
    with tenant_scope(a):
        other = Person(official_name="Andere", first_name="Eva", municipality_bfs=2546)
        db.session.add(other)
    db.session.commit()
    login_as(client, (a, "tenant_admin"))
    assert not [title for title in export(client, a, other) if title.startswith("Informieren")]


def test_another_tenants_person_is_not_exported(client, world):
    a, b, _off = world
    theirs = make_person(b, vn=VN)
    login_as(client, (a, "tenant_admin"))
    assert client.get(f"/grenchen/personen/{theirs.id}/auskunft").status_code == 404
    assert client.get(f"/balsthal/personen/{theirs.id}/auskunft").status_code == 404  # not a member there


def test_a_suspended_informieren_still_contributes(client, world):
    a, _b, _off = world
    person = make_person(a)
    held_interview(a, person)
    modules.suspend(a, "informieren")
    db.session.commit()
    login_as(client, (a, "tenant_admin"))
    sections = export(client, a, person)
    assert sections["Informieren: Zuzug und Stand"]["arrival_date"] == "2017-05-01"
    assert sections["Informieren: Erstinformationsgespräche"][0]["notes"] == "Sucht Deutschkurs."

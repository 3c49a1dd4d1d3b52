"""Retention: newcomers past the tenant's period are anonymised by core's daily job; the figures stay."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import clock, jobs, provisioning
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.people import retention as people_retention
from core.reports import Period
from core.tenancy import TenantState, tenant_scope
from plugins.informieren import figures, retention, worklist
from plugins.informieren.letters import batch as letter_batch
from plugins.informieren.models import ImportItem, ImportRun, Interview, Newcomer, PersonChange
from plugins.informieren.register import timeline as register_timeline
from tests.conftest import login_as, make_tenant
from tests.informieren.register_support import token, valid_form
from tests.informieren.test_interviews import csrf_token, make_person, reload, setup_world
from tests.informieren.test_worklist import add_letter

LATER = date(2022, 6, 15)  # five years after the world's today: arrivals before 15 June 2017 are due
YEAR_2017 = Period.parse("2017")


@pytest.fixture
def world(ctx, monkeypatch):
    tenants = setup_world(monkeypatch)
    monkeypatch.setattr(clock, "today", lambda: LATER)
    return tenants


def old_newcomer(tenant, arrival=date(2017, 5, 12), **values) -> Newcomer:
    """A newcomer with everything that identifies a person, a letter sent and an interview held."""
    person = make_person(tenant, arrival=arrival, official_name="Tesfaye", first_name="Selam",
                         date_of_birth="1990-04", street="Bettlachstrasse", house_number="8", postal_code="2540",
                         town="Grenchen", local_person_id="SO:4711", vn="7569217076985", household_key="hh-1",
                         permit_category="B", stage="held", **values)
    add_letter(tenant, person)
    with tenant_scope(tenant):
        db.session.add(Interview(person_id=person.id, invitation="appointment", invited_on=date(2017, 5, 20),
                                 place="Stadthaus", outcome="held", held_on=date(2017, 6, 1),
                                 topics=[{"key": "work"}], notes="Sucht Arbeit als Pflegefachfrau.",
                                 handed_over={"needs": ["Deutschkurs"], "offers": []}, created_by="test"))
    db.session.commit()
    return person


def audit_events(tenant, action):
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_record_past_the_period_loses_what_identifies_the_person_and_the_figures_stay(world):
    a, _b, _off = world
    person = old_newcomer(a)
    on_the_day = make_person(a, arrival=date(2017, 6, 15), first_name="Bleibt")  # exactly five years: not yet
    before = (figures.activity_counts(a, YEAR_2017), figures.report_figures(a, YEAR_2017))

    jobs.run_periodic("people.retention")

    gone = reload(a, person)
    assert gone.anonymised_on == LATER and gone.full_name == "(anonymisiert)"
    assert all(getattr(gone, name) in ("", None) for name in people_retention.ERASED)
    assert (gone.nationalities, gone.languages, gone.arrival_date, gone.municipality_bfs, gone.permit_category,
            gone.stage) == (["PT"], ["pt"], date(2017, 5, 1), 2546, "B", "held")  # the month stays, the day goes
    with tenant_scope(a):
        interview = db.session.scalars(sa.select(Interview).where(Interview.person_id == person.id)).one()
        assert (interview.notes, interview.place, interview.handed_over) == ("", None, None)
        assert (interview.outcome, interview.topics) == ("held", [{"key": "work"}])
        change = db.session.scalars(sa.select(PersonChange).where(PersonChange.kind == "anonymised")).one()
        assert change.person_id == person.id and "vn" in change.fields
        timeline = register_timeline.timeline(person.id)
    assert "Anonymisiert" in str(timeline[-1].title)
    assert reload(a, on_the_day).anonymised_on is None and reload(a, on_the_day).first_name == "Bleibt"
    assert (figures.activity_counts(a, YEAR_2017), figures.report_figures(a, YEAR_2017)) == before

    [event] = audit_events(a, "people.anonymised")
    assert event.detail == {"persons": 1}
    assert "Selam" not in str(event.detail)
    notes_changed = [e for e in audit_events(a, "sensitive.update") if e.object_type == "informieren_interviews"]
    assert notes_changed and set(notes_changed[0].detail["fields"]) == {"handed_over", "notes", "place"}

    jobs.run_periodic("people.retention")  # the next day: nothing more to do, nothing recorded
    assert len(audit_events(a, "people.anonymised")) == 1


def test_each_tenant_has_its_own_period_and_archived_or_switched_off_tenants_are_included(world):
    a, b, off = world
    provisioning.set_setting(b, retention.RETENTION_YEARS, 10)
    closed = make_tenant("buchegg", communes=[2445])
    closed.state = TenantState.ARCHIVED
    db.session.commit()
    people = {tenant.slug: make_person(tenant) for tenant in (a, b, off, closed)}

    results = jobs.run_periodic("people.retention")

    assert results["grenchen"] == 1 and results["balsthal"] == 0
    assert reload(a, people["grenchen"]).anonymised_on == LATER
    assert reload(b, people["balsthal"]).anonymised_on is None  # ten years in Balsthal
    assert reload(off, people["dornach"]).anonymised_on == LATER  # the module is off there, the data is not
    assert reload(closed, people["buchegg"]).anonymised_on == LATER
    assert audit_events(b, "people.anonymised") == []


def test_the_period_ends_on_the_28th_after_a_29_february():
    assert retention.cutoff(5, date(2024, 2, 29)) == date(2019, 2, 28)
    assert retention.cutoff(4, date(2024, 2, 29)) == date(2020, 2, 29)


def test_an_anonymised_record_gets_no_letter_no_deadline_and_cannot_change(app, world):
    a, _b, _off = world
    person = make_person(a)  # never written to: overdue until the period ends
    with tenant_scope(a):
        assert worklist.counts(a, LATER)["letter_overdue"] == 1
    people_retention.apply(a)
    db.session.commit()
    with tenant_scope(a):
        assert worklist.counts(a, LATER)["letter_overdue"] == 0
        assert db.session.scalars(letter_batch.waiting_query({})).all() == []
        assert db.session.scalars(letter_batch.waiting_query({"regenerate": [str(person.id)]})).all() == []

    client = app.test_client()
    login_as(client, (a, "integration_officer"))
    page = client.get(f"/grenchen/informieren/personen/{person.id}", follow_redirects=True)
    assert page.request.path == f"/grenchen/personen/{person.id}"  # core's page, with Informieren's panel
    assert "Anonymisiert am" in page.text and "/bearbeiten" not in page.text and "/neu?mit=" not in page.text
    assert "vom Zuzug bleibt der Monat" in page.text  # the panel says what Informieren erased
    assert re.search(r"Zuzug aus dem Ausland</dt>\s*<dd>\w+ \d{4}</dd>", page.text)  # a month, no day
    assert "(anonymisiert)" in client.get("/grenchen/informieren/personen").text
    csrf = csrf_token(client.get("/grenchen/informieren/einstellungen").text)
    for url in (f"/grenchen/informieren/personen/{person.id}/bearbeiten",
                f"/grenchen/informieren/personen/{person.id}/gespraeche/neu"):
        for response in (client.get(url, follow_redirects=True),
                         client.post(url, data={"csrf_token": csrf, **valid_form(official_name="Neu")},
                                     follow_redirects=True)):
            assert response.status_code == 200 and "kann nicht mehr geändert werden" in response.text
            assert response.request.path == f"/grenchen/personen/{person.id}"
    assert reload(a, person).official_name == ""

    headers = token(a, "informieren:read", "informieren:write")
    joined = client.post("/api/v1/grenchen/informieren/newcomers", headers=headers, json={
        "official_name": "Neu", "first_name": "Nina", "arrival_date": "2022-06-01", "municipality_bfs": 2546,
        "vn": None, "local_person_id": "SO:9", "moves_with": str(person.id)})
    assert joined.status_code == 422 and "anonymisiert" in joined.get_json()["fields"]["moves_with"][0]
    new_member = client.get(f"/grenchen/informieren/personen/neu?mit={person.id}")
    assert new_member.status_code == 200 and f'value="{person.id}"' not in new_member.text
    assert reload(a, person).household_key is None
    url = f"/api/v1/grenchen/informieren/newcomers/{person.id}"
    assert client.get(url, headers=headers).get_json()["anonymised_on"] == LATER.isoformat()
    refused = client.patch(url, json={"official_name": "Neu"}, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"] == "anonymised"
    assert reload(a, person).official_name == ""


def test_import_reports_keep_the_names_of_their_records_for_90_days(world):
    a, b, _off = world

    def run_with_item(tenant, days_ago):
        with tenant_scope(tenant):
            run = ImportRun(source="ech0020", requested_by="test", started_at=utcnow() - timedelta(days=days_ago))
            db.session.add(run)
            db.session.flush()
            db.session.add(ImportItem(import_id=run.id, outcome="skipped", reason="Zuzug aus Olten",
                                      detail={"official_name": "Meier", "vn": "7569217076985"}))
        db.session.commit()
        return run

    old, recent, other = run_with_item(a, 91), run_with_item(a, 89), run_with_item(b, 91)
    with tenant_scope(a):
        assert retention.clear_import_details(a) == 1
    db.session.commit()

    def details(tenant, run):
        with tenant_scope(tenant):
            item = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == run.id)).one()
            return item.detail, item.reason

    assert details(a, old) == ({}, "Zuzug aus Olten")  # the reason stays, the person goes
    assert details(a, recent)[0]["official_name"] == "Meier"
    assert details(b, other)[0]["official_name"] == "Meier"  # Balsthal's own job clears Balsthal's

"""Needs handed over from Informieren's first-information interview (its event), and the outcome Fördern announces."""

from __future__ import annotations

import types

import pytest
import sqlalchemy as sa

import plugins.foerdern
from core import events
from core.audit import AuditEvent
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest
from core.tenancy import tenant_scope
from plugins.foerdern import handover
from plugins.foerdern.needs_models import Need
from plugins.informieren.models import Interview
from tests.conftest import clear_database, login_as, make_app
from tests.foerdern.needs_support import TODAY, active_tenant, add_offer, add_person, form_post, refer, stored
from tests.informieren.test_interviews import interviews_of, invite_form, make_person, outcome_form

# -- guessing the category ------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "category", "level"), [
    ("Deutschkurs A2 am Abend", "language", "A2"),
    ("Cours de français, niveau B1", "language", "B1"),
    ("corso di tedesco", "language", None),
    ("Literacy course", "language", "alpha"),
    ("Lesen und Schreiben lernen", "language", "alpha"),
    ("Kita-Platz für die Tochter", "childcare", None),
    ("garde d'enfants le mardi", "childcare", None),
    ("Sucht Arbeit als Koch", "work", None),
    ("Cerca lavoro", "work", None),
    ("Looking for a job", "work", None),
    ("Wohnungssuche", "housing", None),
    ("Cherche un logement", "housing", None),
    ("Hausarzt finden", "health", None),
    ("Médecin pour les enfants", "health", None),
    ("Anerkennung des Diploms", "education", None),
    ("Scuola per i figli", "education", None),
    ("Möchte einem Verein beitreten", "social", None),
    ("meet neighbours", "social", None),
    ("Steuererklärung", "other", None),
    ("Information zur Rente", "other", None),
])
def test_a_lines_category_and_level_are_guessed_in_four_languages(line, category, level):
    assert handover.guess_category(line) == category
    assert (handover.guess_level(line) if category == "language" else None) == level


def test_a_suggested_offer_joins_the_need_of_its_category_or_stands_alone():
    planned = handover.plan(["Deutschkurs", "Arbeit"], ["Deutschkurs ECAP", "Elterntreff"])
    assert [(p["category"], p["note"], p["suggested"]) for p in planned] == [
        ("language", "Deutschkurs", ["Deutschkurs ECAP"]), ("work", "Arbeit", []), ("social", "", ["Elterntreff"])]


# -- from Informieren's interview ---------------------------------------------------------------------------


def test_a_held_interviews_hand_over_becomes_needs_once(client, ctx, today):
    grenchen = active_tenant("grenchen", "informieren", "foerdern")
    login_as(client, (grenchen, "integration_officer"))
    person = make_person(grenchen, languages=["ti", "en"])
    invite_form(client, grenchen, person)
    [interview] = interviews_of(grenchen, person)
    response = outcome_form(client, grenchen, interview, needs="Deutschkurs A1\nWohnung gesucht",
                            offers="Deutschkurs ECAP")
    assert response.status_code == 302
    found = sorted(stored(grenchen, Need), key=lambda need: need.interview_line)
    assert [(n.category, n.level, n.note, n.suggested, n.source) for n in found] == [
        ("language", "A1", "Deutschkurs A1", ["Deutschkurs ECAP"], "interview"),
        ("housing", None, "Wohnung gesucht", [], "interview")]
    assert {n.interview_id for n in found} == {interview.id} and {n.state_on for n in found} == {TODAY}
    with tenant_scope(grenchen):
        handed = db.session.scalars(sa.select(Interview.handed_over)).one()
    assert handed["recorded"] == ["2 Bedürfnisse in Fördern erfasst"]
    page = client.get(f"/grenchen/foerdern/personen/{person.id}").text
    assert "aus dem Erstinformationsgespräch" in page and "Im Gespräch vorgeschlagen" in page
    # The event again (a retried job, say): nothing added.
    payload = {"person_id": str(person.id), "interview_id": str(interview.id), "needs": ["Deutschkurs A1"],
               "offers": [], "languages": ["ti"]}
    assert events.emit(grenchen, handover.EVENT, **payload) == []
    assert len(stored(grenchen, Need)) == 2


def test_a_tenant_without_foerdern_gets_no_needs(client, ctx, today):
    balsthal = active_tenant("balsthal", "informieren")
    assert events.subscribers(balsthal, handover.EVENT) == []
    person = make_person(balsthal)
    payload = {"person_id": str(person.id), "interview_id": "5b1c0a8e-8f43-4a5e-9d4f-3f0c1b2a7e11",
               "needs": ["Deutschkurs"], "offers": [], "languages": ["pt"]}
    assert events.emit(balsthal, handover.EVENT, **payload) == []
    assert stored(balsthal, Need) == []


def test_a_hand_over_for_another_tenants_person_records_nothing(ctx, today):
    grenchen, balsthal = active_tenant("grenchen", "foerdern"), active_tenant("balsthal", "foerdern")
    theirs = add_person(balsthal)
    payload = {"person_id": str(theirs.id), "interview_id": "5b1c0a8e-8f43-4a5e-9d4f-3f0c1b2a7e11",
               "needs": ["Deutschkurs"], "offers": [], "languages": ["ti"]}
    assert events.emit(grenchen, handover.EVENT, **payload) == []
    assert stored(grenchen, Need) == [] and stored(balsthal, Need) == []


# -- the outcome, announced ---------------------------------------------------------------------------------


def _listener():
    """A stand-in for Fordern: takes referral outcomes and remembers them."""
    plugin = types.ModuleType("outcomes")
    plugin.manifest = Manifest(id="outcomes", title="Outcomes", version="1.0",
                               subscribes=("foerdern.referral_outcome",))
    plugin.received = []

    @hookimpl
    def handle_event(tenant, event):
        plugin.received.append((tenant.slug, event.payload))
        return "Massnahme nachgeführt"

    plugin.handle_event = handle_event
    return plugin


@pytest.fixture
def outcome_world(app, database_url, today):
    listener = _listener()
    test_app = make_app(plugins=[plugins.foerdern, listener], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        yield test_app, listener, active_tenant("grenchen", "foerdern", "outcomes")
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def test_an_outcome_is_announced_to_the_subscribers(outcome_world):
    test_app, listener, grenchen = outcome_world
    client = test_app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    person, offer = add_person(grenchen), add_offer(grenchen)
    referral = refer(grenchen, person, offer)
    url = f"/grenchen/foerdern/zuweisungen/{referral.id}"
    response, _ = form_post(client, url, f"{url}/schritt", {"state": "registered", "on": str(TODAY)})
    assert response.status_code == 302 and listener.received == []  # not an outcome
    response, _ = form_post(client, url, f"{url}/schritt", {"state": "dropped_out", "on": str(TODAY),
                                                            "note": "Umzug"})
    assert response.status_code == 302
    assert listener.received == [("grenchen", {
        "person_id": str(person.id), "referral_id": str(referral.id), "offer_id": str(offer.id),
        "offer_tenant_id": str(grenchen.id), "outcome": "dropped_out", "on": TODAY.isoformat()})]
    with tenant_scope(grenchen):
        [delivery] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "event.emitted")).all()
    assert delivery.object_id == "foerdern.referral_outcome" and delivery.detail == {"delivered_to": ["outcomes"]}

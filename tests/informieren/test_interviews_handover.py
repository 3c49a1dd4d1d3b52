"""Hand-over to Fördern: offered only where an active module takes it, made once, kept with the interview."""

from __future__ import annotations

import types
from datetime import date

import pytest
import sqlalchemy as sa

import plugins.informieren
from core import clock, modules
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest
from core.tenancy import tenant_scope
from plugins.informieren.models import Interview
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.informieren.test_interviews import (
    TODAY,
    csrf_token,
    interviews_of,
    invite_form,
    make_person,
    outcome_form,
)


def handover_plugin():
    """A stand-in for Fördern: takes hand-overs and remembers them."""
    plugin = types.ModuleType("takes_handovers")
    plugin.manifest = Manifest(id="takes_handovers", title="Takes hand-overs", version="1.0",
                               subscribes=("informieren.needs_handed_over",))
    plugin.received = []

    @hookimpl
    def handle_event(tenant, event):
        plugin.received.append((tenant.slug, event))
        return f"{len(event.payload['needs'])} Bedürfnisse erfasst"

    plugin.handle_event = handle_event
    return plugin


@pytest.fixture
def handover_world(app, database_url, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    plugin = handover_plugin()
    test_app = make_app(plugins=[plugins.informieren, plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        with_it, without = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
        for tenant in (with_it, without):
            modules.entitle(tenant, "informieren")
            modules.activate(tenant, "informieren", date(2017, 1, 1))
            modules.entitle(tenant, "takes_handovers")
        modules.activate(with_it, "takes_handovers", date(2017, 1, 1))
        db.session.commit()
        yield test_app, plugin, with_it, without
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def _invited(app, tenant):
    client = app.test_client()
    login_as(client, (tenant, "integration_officer"))
    person = make_person(tenant, languages=["ti", "ar"])
    invite_form(client, tenant, person)
    return client, person, interviews_of(tenant, person)[0]


def test_a_held_interview_hands_needs_and_offers_over_where_the_module_is_active(handover_world):
    app, plugin, with_it, _without = handover_world
    client, person, interview = _invited(app, with_it)
    form = client.get(f"/grenchen/informieren/gespraeche/{interview.id}/ergebnis")
    assert "Übergabe an Fördern" in form.text and 'name="needs"' in form.text
    response = outcome_form(client, with_it, interview, needs="Deutschkurs A1\n\n Kinderbetreuung ",
                            offers="Elterntreff Grenchen")
    assert response.status_code == 302
    [(slug, event)] = plugin.received
    assert slug == "grenchen" and event.type == "informieren.needs_handed_over"
    assert event.payload == {"person_id": str(person.id), "interview_id": str(interview.id),
                             "needs": ["Deutschkurs A1", "Kinderbetreuung"], "offers": ["Elterntreff Grenchen"],
                             "languages": ["ti", "ar"]}
    with tenant_scope(with_it):
        stored = db.session.scalars(sa.select(Interview.handed_over)).one()
    assert stored["needs"] == ["Deutschkurs A1", "Kinderbetreuung"] and stored["offers"] == ["Elterntreff Grenchen"]
    assert stored["recorded"] == ["2 Bedürfnisse erfasst"] and stored["on"] == "2017-06-15"
    page = client.get(f"/grenchen/informieren/personen/{person.id}/gespraeche")
    assert "An Fördern übergeben" in page.text and "Deutschkurs A1" in page.text


def test_a_repeated_submission_hands_over_once(handover_world):
    app, plugin, with_it, _without = handover_world
    client, _person, interview = _invited(app, with_it)
    url = f"/grenchen/informieren/gespraeche/{interview.id}/ergebnis"
    data = {"csrf_token": csrf_token(client.get(url).text), "outcome": "held", "held_on": "2017-06-14",
            "notes": "", "needs": "Deutschkurs A1"}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert len(plugin.received) == 1
    again = client.get(url)
    assert 'name="needs"' not in again.text and "An Fördern übergeben am 15.06.2017" in again.text


def test_a_hand_over_needs_a_held_interview(handover_world):
    app, plugin, with_it, _without = handover_world
    client, _person, interview = _invited(app, with_it)
    response = outcome_form(client, with_it, interview, outcome="declined", held_on="", needs="Deutschkurs")
    assert response.status_code == 200
    assert "Eine Übergabe an Fördern ist nur nach einem geführten Gespräch möglich." in response.text
    assert plugin.received == []


def test_without_an_active_taker_the_fields_are_hidden_and_nothing_is_handed_over(handover_world):
    app, plugin, _with_it, without = handover_world
    client, _person, interview = _invited(app, without)
    form = client.get(f"/balsthal/informieren/gespraeche/{interview.id}/ergebnis")
    assert "Übergabe an Fördern" not in form.text and 'name="needs"' not in form.text
    response = outcome_form(client, without, interview, needs="Deutschkurs A1")  # posted all the same
    assert response.status_code == 302
    assert plugin.received == []
    with tenant_scope(without):
        stored = db.session.scalars(sa.select(Interview).execution_options(populate_existing=True)).one()
    assert stored.outcome == "held" and stored.handed_over is None


def test_in_the_default_installation_fördern_takes_hand_overs_where_it_is_active(client, ctx, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with_it, without = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
    for tenant, module_ids in ((with_it, ("informieren", "foerdern")), (without, ("informieren",))):
        for module_id in module_ids:
            modules.entitle(tenant, module_id)
            modules.activate(tenant, module_id, date(2017, 1, 1))
    db.session.commit()
    login_as(client, (with_it, "integration_officer"), (without, "integration_officer"))
    for tenant, offered in ((with_it, True), (without, False)):
        person = make_person(tenant)
        invite_form(client, tenant, person)
        interview = interviews_of(tenant, person)[0]
        form = client.get(f"/{tenant.slug}/informieren/gespraeche/{interview.id}/ergebnis")
        assert form.status_code == 200 and ('name="needs"' in form.text) is offered

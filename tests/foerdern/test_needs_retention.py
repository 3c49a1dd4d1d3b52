"""Retention and the right of access: Fördern holds whom it still works with, erases notes, exports everything."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa

from core import clock
from core.db import db
from core.people import Person, retention
from core.tenancy import tenant_scope
from plugins.foerdern import needs, referrals
from plugins.foerdern import retention as foerdern_retention
from plugins.foerdern.needs_models import Need, ReferralStep
from tests.conftest import login_as
from tests.foerdern.needs_support import TODAY, add_need, add_offer, add_person, refer, steps, stored

# Past Fördern's two years from the needs' days (TODAY), and core's year from the records' making (real time).
LATER = date.today() + timedelta(days=800)


def _held(tenant, day) -> set:
    with tenant_scope(tenant):
        return set(db.session.scalars(sa.select(Person.id).where(Person.id.in_(foerdern_retention.holds(day)))))


def test_foerdern_holds_open_work_and_two_years_after_the_last_change(grenchen):
    open_need, old_need, open_referral = add_person(grenchen), add_person(grenchen), add_person(grenchen)
    add_need(grenchen, open_need)
    add_need(grenchen, old_need, state="met")
    refer(grenchen, open_referral, add_offer(grenchen))
    assert _held(grenchen, TODAY) == {open_need.id, old_need.id, open_referral.id}
    assert _held(grenchen, LATER) == {open_need.id, open_referral.id}


def test_anonymising_erases_the_notes_and_keeps_what_the_figures_need(grenchen, monkeypatch):
    person, offer = add_person(grenchen), add_offer(grenchen)
    need = add_need(grenchen, person, "health", note="Depression")
    with tenant_scope(grenchen):
        db.session.get(Need, (grenchen.id, need.id)).suggested = ["Psychiatrie-Spitex"]
        referral = referrals.refer(person, needs.find_offer(f"{grenchen.id}:{offer.id}", TODAY), None, "registered",
                                   TODAY, "Vertraulich: Therapie", TODAY)
        referrals.take_step(grenchen, referral, "completed", TODAY, "Abgeschlossen mit Erfolg", TODAY)
        needs.set_state(db.session.get(Need, (grenchen.id, need.id)), "met", TODAY)
        db.session.commit()
    kept = add_person(grenchen)
    add_need(grenchen, kept, note="bleibt")
    monkeypatch.setattr(clock, "today", lambda: LATER)
    assert retention.apply(grenchen) == 1
    [erased, still] = sorted(stored(grenchen, Need), key=lambda n: n.person_id != person.id)
    assert (erased.category, erased.state, erased.note, erased.suggested) == ("health", "met", "", [])
    assert still.note == "bleibt"
    assert [(s.state, s.note) for s in steps(grenchen, referral)] == [("registered", ""), ("completed", "")]
    assert stored(grenchen, ReferralStep)  # the history stays, without its notes


def test_the_export_holds_the_needs_and_referrals_with_their_steps(client, grenchen):
    person = add_person(grenchen)
    need = add_need(grenchen, person, "language", "B1", note="Für die Arbeit")
    refer(grenchen, person, add_offer(grenchen), need)
    login_as(client, (grenchen, "tenant_admin"))
    data = json.loads(client.get(f"/grenchen/personen/{person.id}/auskunft").data)
    [exported_need] = data["sections"]["Fördern: Bedürfnisse"]
    assert (exported_need["category"], exported_need["level"], exported_need["note"]) == ("language", "B1",
                                                                                          "Für die Arbeit")
    [referral] = data["sections"]["Fördern: Zuweisungen"]
    assert referral["offer_title"] == {"de": "Deutschkurs A1"} and referral["need_id"] == str(need.id)
    assert [s["state"] for s in referral["steps"]] == ["proposed"]


def test_a_person_without_needs_exports_no_foerdern_section(client, grenchen):
    person = add_person(grenchen)
    login_as(client, (grenchen, "tenant_admin"))
    data = json.loads(client.get(f"/grenchen/personen/{person.id}/auskunft").data)
    assert not any(title.startswith("Fördern") for title in data["sections"])

"""Referrals: refer a person to a current offer, step by step to an outcome; checks, duplicates, tenants, roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.tenancy import tenant_scope
from plugins.foerdern import needs_models, referrals
from plugins.foerdern.models import Offer
from plugins.foerdern.needs_models import Need, Referral, ReferralStep
from tests.conftest import login_as
from tests.foerdern.needs_support import (
    TODAY,
    active_tenant,
    add_need,
    add_offer,
    add_person,
    audit_events,
    field_error,
    form_post,
    refer,
    steps,
    stored,
    text,
)

YESTERDAY = TODAY - timedelta(days=1)


def new_url(person) -> str:
    return f"/grenchen/foerdern/personen/{person.id}/zuweisen"


def show_url(referral) -> str:
    return f"/grenchen/foerdern/zuweisungen/{referral.id}"


def step(client, referral, **data):
    return form_post(client, show_url(referral), f"{show_url(referral)}/schritt", data)


# -- referring -----------------------------------------------------------------------------------------


def test_an_officer_refers_a_person_for_a_need_and_the_offer_is_kept_as_it_was(officer, grenchen):
    person, offer = add_person(grenchen), add_offer(grenchen)
    need = add_need(grenchen, person, "language", "A1")
    page = text(officer.get(f"{new_url(person)}?beduerfnis={need.id}"))
    assert "Deutschkurs A1 (Sprachkurs)" in page and f'<option selected value="{need.id}">' in page
    response, _ = form_post(officer, new_url(person), new_url(person), {
        "offer": f"{grenchen.id}:{offer.id}", "need": str(need.id), "state": "proposed", "on": str(YESTERDAY),
        "note": "Hat Interesse am Vormittagskurs."})
    assert response.status_code == 302
    [referral] = stored(grenchen, Referral)
    assert response.headers["Location"].endswith(show_url(referral))
    assert (referral.offer_tenant_id, referral.offer_id, referral.offer_title, referral.offer_kind) == (
        grenchen.id, offer.id, {"de": "Deutschkurs A1"}, "language_course")
    assert (referral.need_id, referral.state, referral.state_on, referral.steps) == (need.id, "proposed", YESTERDAY, 1)
    [first] = steps(grenchen, referral)
    assert (first.seq, first.state, first.taken_on, first.note) == (1, "proposed", YESTERDAY, "Hat Interesse am "
                                                                                          "Vormittagskurs.")
    assert [e.action for e in audit_events(grenchen)][-2:] == ["foerdern.referral.create", "foerdern.referral.step"]
    assert "Interesse" not in str([e.detail for e in audit_events(grenchen)])
    with tenant_scope(grenchen):  # the offer changes or goes: the referral keeps what it was
        db.session.execute(sa.delete(Offer))
        db.session.commit()
    page = text(officer.get(show_url(referral)))
    assert "Deutschkurs A1" in page and "vorgeschlagen" in page and "Greta Gerber" in page
    assert f"/foerdern/angebote/{offer.id}" not in page  # no link to an offer that is gone


def test_the_same_referral_form_sent_twice_refers_once(officer, grenchen):
    person, offer = add_person(grenchen), add_offer(grenchen)
    first, payload = form_post(officer, new_url(person), new_url(person), {
        "offer": f"{grenchen.id}:{offer.id}", "need": "", "state": "registered", "on": str(TODAY)})
    second = officer.post(new_url(person), data=payload)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stored(grenchen, Referral)) == 1 and len(stored(grenchen, ReferralStep)) == 1


def test_only_a_current_offer_of_the_tenant_can_be_chosen(officer, grenchen):
    balsthal = active_tenant("balsthal")
    theirs, expired = add_offer(balsthal), add_offer(grenchen, valid_until=YESTERDAY, title="Alter Kurs")
    person = add_person(grenchen)
    page = text(officer.get(new_url(person)))
    assert "Alter Kurs" not in page
    for key in (f"{balsthal.id}:{theirs.id}", f"{grenchen.id}:{expired.id}", "nonsense"):
        response, _ = form_post(officer, new_url(person), new_url(person), {
            "offer": key, "need": "", "state": "proposed", "on": str(TODAY)})
        assert response.status_code == 400
        assert "Dieses Angebot ist hier nicht aktuell" in field_error(text(response), "offer")
    assert stored(grenchen, Referral) == []


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"offer": ""}, "offer", "Bitte ein Angebot wählen."),
    ({"on": str(TODAY + timedelta(days=1))}, "on", "Das Datum liegt in der Zukunft."),
    ({"on": ""}, "on", "Bitte ein gültiges Datum eingeben."),
    ({"state": "completed"}, "state", "Bitte eine der angebotenen Möglichkeiten wählen."),
    ({"need": "not-a-need"}, "need", "Bitte eine der angebotenen Möglichkeiten wählen."),
])
def test_bad_input_to_a_referral_gets_a_field_error(officer, grenchen, data, field, message):
    person, offer = add_person(grenchen), add_offer(grenchen)
    response, _ = form_post(officer, new_url(person), new_url(person), {
        "offer": f"{grenchen.id}:{offer.id}", "need": "", "state": "proposed", "on": str(TODAY), **data})
    assert response.status_code == 400
    assert message in field_error(text(response), field)
    assert stored(grenchen, Referral) == []


def test_another_persons_need_cannot_be_named(officer, grenchen):
    person, other, offer = add_person(grenchen), add_person(grenchen), add_offer(grenchen)
    theirs = add_need(grenchen, other)
    response, _ = form_post(officer, new_url(person), new_url(person), {
        "offer": f"{grenchen.id}:{offer.id}", "need": str(theirs.id), "state": "proposed", "on": str(TODAY)})
    assert response.status_code == 400 and stored(grenchen, Referral) == []


# -- steps ----------------------------------------------------------------------------------------------


def test_a_referral_goes_step_by_step_to_completed_and_meets_its_need(officer, grenchen):
    person, offer = add_person(grenchen), add_offer(grenchen)
    need = add_need(grenchen, person, "language")
    referral = refer(grenchen, person, offer, need, on=TODAY - timedelta(days=20))
    for state, days in (("registered", 15), ("attending", 10), ("completed", 0)):
        response, _ = step(officer, referral, state=state, on=str(TODAY - timedelta(days=days)), note="",
                           need_met="y")
        assert response.status_code == 302, text(response)
    assert [(s.seq, s.state) for s in steps(grenchen, referral)] == [
        (1, "proposed"), (2, "registered"), (3, "attending"), (4, "completed")]
    [done] = stored(grenchen, Referral)
    assert (done.state, done.state_on, done.steps) == ("completed", TODAY, 4)
    [met] = stored(grenchen, Need)
    assert (met.state, met.state_on) == ("met", TODAY)
    page = text(officer.get(show_url(referral)))
    assert "Nächster Schritt" not in page and "Die Zuweisung ist beendet" in page


def test_a_completion_without_the_box_leaves_the_need_open(officer, grenchen):
    person = add_person(grenchen)
    need = add_need(grenchen, person)
    referral = refer(grenchen, person, add_offer(grenchen), need, state="registered")
    response, _ = step(officer, referral, state="completed", on=str(TODAY))
    assert response.status_code == 302
    assert stored(grenchen, Need)[0].state == "open"


@pytest.mark.parametrize(("start", "data", "field", "message"), [
    ("proposed", {"state": "completed"}, "state", "Bitte eine der angebotenen Möglichkeiten wählen."),
    ("registered", {"state": "proposed"}, "state", "Bitte eine der angebotenen Möglichkeiten wählen."),
    ("proposed", {"state": "registered", "on": str(TODAY + timedelta(days=1))}, "on", "in der Zukunft"),
    ("proposed", {"state": "registered", "on": str(TODAY - timedelta(days=9))}, "on",
     "Das Datum liegt vor dem letzten Schritt"),
])
def test_a_step_must_go_forward_and_be_dated_between_the_last_step_and_today(officer, grenchen, start, data,
                                                                             field, message):
    referral = refer(grenchen, add_person(grenchen), add_offer(grenchen), state=start,
                     on=TODAY - timedelta(days=5))
    response, _ = step(officer, referral, **{"on": str(TODAY), **data})
    assert response.status_code == 400
    assert message in field_error(text(response), field)
    assert len(steps(grenchen, referral)) == 1


def test_transitions_go_forward_only():
    assert referrals.STATE_LABELS.keys() == set(needs_models.REFERRAL_STATES)
    order = needs_models.REFERRAL_STATES
    for state, following in needs_models.TRANSITIONS.items():
        assert all(order.index(later) > order.index(state) for later in following)
    assert needs_models.TRANSITIONS["completed"] == needs_models.TRANSITIONS["dropped_out"] == ()
    assert "dropped_out" in needs_models.TRANSITIONS["proposed"]


def test_the_same_step_sent_twice_is_recorded_once(officer, grenchen):
    referral = refer(grenchen, add_person(grenchen), add_offer(grenchen))
    first, payload = step(officer, referral, state="registered", on=str(TODAY), note="")
    second = officer.post(f"{show_url(referral)}/schritt", data=payload)
    assert first.status_code == second.status_code == 302
    assert [s.state for s in steps(grenchen, referral)] == ["proposed", "registered"]
    assert "schon gespeichert" in text(officer.get(show_url(referral)))


def test_a_step_from_a_page_out_of_date_is_refused(officer, grenchen):
    referral = refer(grenchen, add_person(grenchen), add_offer(grenchen))
    _, payload = step(officer, referral, state="registered", on=str(TODAY))
    stale = {**payload, "state": "dropped_out"}  # the page showed one step; there are two now
    response = officer.post(f"{show_url(referral)}/schritt", data=stale)
    assert response.status_code == 400 and "inzwischen geändert" in text(response)
    assert [s.state for s in steps(grenchen, referral)] == ["proposed", "registered"]


def test_the_history_is_append_only(grenchen):
    referral = refer(grenchen, add_person(grenchen), add_offer(grenchen))
    with tenant_scope(grenchen):
        [first] = db.session.scalars(sa.select(ReferralStep)).all()
        first.state = "completed"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(sa.select(ReferralStep)).one())
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
    assert len(steps(grenchen, referral)) == 1


# -- the lists and the worklist --------------------------------------------------------------------------


def test_a_referral_without_outcome_is_on_the_worklist_after_the_tenants_days(client, grenchen):
    from core import provisioning, worklist

    person, offer = add_person(grenchen, official_name="Haddad"), add_offer(grenchen)
    refer(grenchen, person, offer, state="registered", on=TODAY - timedelta(days=31))
    refer(grenchen, person, offer, on=TODAY - timedelta(days=5))
    ended = refer(grenchen, person, offer, on=TODAY - timedelta(days=90))
    with tenant_scope(grenchen):
        referrals.take_step(grenchen, db.session.get(Referral, (grenchen.id, ended.id)), "dropped_out",
                            TODAY - timedelta(days=80), "", TODAY)
        db.session.commit()
    [item] = [i for i in worklist.items(grenchen, TODAY) if i.key.startswith("foerdern.")]
    assert (item.count, item.earliest, item.permission, item.overdue) == (1, TODAY - timedelta(days=1),
                                                                          "foerdern.needs.edit", True)
    login_as(client, (grenchen, "integration_officer"))
    assert "Zuweisungen ohne Ergebnis: nachfragen" in text(client.get("/grenchen/"))
    assert (item.endpoint, item.url_values) == ("foerdern.referrals.index", (("liste", "nachfragen"),))
    page = text(client.get("/grenchen/foerdern/zuweisungen?liste=nachfragen"))
    assert "1 Zuweisung" in page and "Haddad" in page
    assert "2 Zuweisungen" in text(client.get("/grenchen/foerdern/zuweisungen"))  # without outcome
    assert "3 Zuweisungen" in text(client.get("/grenchen/foerdern/zuweisungen?liste=alle"))
    assert client.get("/grenchen/foerdern/zuweisungen?liste=bald").status_code == 404
    provisioning.set_setting(grenchen, referrals.FOLLOW_UP_DAYS, 60)
    db.session.commit()
    [item] = [i for i in worklist.items(grenchen, TODAY) if i.key.startswith("foerdern.")]
    assert item.count == 0


def test_the_worklist_item_is_not_shown_to_who_cannot_act(client, grenchen):
    refer(grenchen, add_person(grenchen), add_offer(grenchen), on=TODAY - timedelta(days=40))
    login_as(client, (grenchen, "tenant_admin"))
    assert "Zuweisungen ohne Ergebnis" not in text(client.get("/grenchen/"))


# -- tenants and roles ------------------------------------------------------------------------------------


def test_another_tenants_referral_is_not_found_and_not_listed(officer, grenchen):
    balsthal = active_tenant("balsthal")
    theirs = refer(balsthal, add_person(balsthal, official_name="Fremd"), add_offer(balsthal),
                   on=TODAY - timedelta(days=60))
    assert officer.get(show_url(theirs)).status_code == 404
    response, _ = form_post(officer, "/grenchen/foerdern/zuweisungen", f"{show_url(theirs)}/schritt",
                            {"state": "registered", "on": str(TODAY), "after": "1"})
    assert response.status_code == 404
    assert officer.get(f"/grenchen/foerdern/personen/{theirs.person_id}/zuweisen").status_code == 404
    for kind in ("nachfragen", "offen", "alle"):
        page = text(officer.get(f"/grenchen/foerdern/zuweisungen?liste={kind}"))
        assert "Fremd" not in page and "0 Zuweisungen" in page
    assert len(steps(balsthal, theirs)) == 1


@pytest.mark.parametrize(("role", "read", "write"), [
    ("tenant_admin", 200, 403), ("read_only", 403, 403), ("residents_services", 403, 403)])
def test_referrals_are_for_the_officer_and_readable_by_the_administration(client, grenchen, role, read, write):
    referral = refer(grenchen, add_person(grenchen), add_offer(grenchen))
    login_as(client, (grenchen, role))
    assert client.get(show_url(referral)).status_code == read
    assert client.get("/grenchen/foerdern/zuweisungen").status_code == read
    response, _ = form_post(client, "/grenchen/", f"{show_url(referral)}/schritt",
                            {"state": "registered", "on": str(TODAY), "after": "1"})
    assert response.status_code == write
    assert client.get(new_url(add_person(grenchen))).status_code == write
    assert len(steps(grenchen, referral)) == 1


# -- offers of other tenants ----------------------------------------------------------------------------


def test_a_person_is_referred_to_the_cantons_and_a_shared_offer_but_not_to_a_hidden_or_foreign_one(client, world):
    from plugins.foerdern import published
    from plugins.foerdern.models import PublishedOffer

    canton, grenchen, bettlach, _ = world
    with tenant_scope(bettlach):
        from core.people import Person

        person = Person(official_name="Tesfay", first_name="Samrawit", municipality_bfs=2543, languages=["ti"])
        db.session.add(person)
        db.session.commit()
        person_id = person.id
        shown = {row.title["de"]: row.key for row in published.visible(TODAY)}
        mine = db.session.scalars(sa.select(PublishedOffer.offer_id).where(PublishedOffer.tenant_id == grenchen.id,
                                                                            PublishedOffer.reach == "regional")).one()
        db.session.rollback()
    assert set(shown) == {"Kantonaler Elternkurs", "Regionaler Sprachkurs"}
    login_as(client, (bettlach, "integration_officer"))
    url = f"/bettlach/foerdern/personen/{person_id}/zuweisen"
    page = text(client.get(url))
    assert "Kantonaler Elternkurs" in page and "Regionaler Sprachkurs" in page and "Deutschtreff Grenchen" not in page
    data = {"state": "proposed", "need": "", "on": str(TODAY)}
    response, _ = form_post(client, url, url, {**data, "offer": shown["Kantonaler Elternkurs"]})
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', text(response))
    [referral] = stored(bettlach, Referral)
    assert (referral.offer_tenant_id, referral.offer_title) == (canton.id, {"de": "Kantonaler Elternkurs"})
    # Grenchen's own offer is not shared with Bettlach: the form refuses it, nothing is saved.
    with tenant_scope(grenchen):
        own = db.session.scalars(sa.select(Offer.id).where(Offer.reach == "own")).one()
        db.session.rollback()
    refused, _ = form_post(client, url, url, {**data, "offer": f"{grenchen.id}:{own}"})
    assert refused.status_code == 400 and field_error(text(refused), "offer")
    # Hidden here, the regional offer is no longer one to refer to.
    with tenant_scope(bettlach):
        published.hide(published.shared_offer(grenchen.id, mine))
        db.session.commit()
    refused, _ = form_post(client, url, url, {**data, "offer": shown["Regionaler Sprachkurs"]})
    assert refused.status_code == 400
    assert len(stored(bettlach, Referral)) == 1

"""Needs of persons: recorded on Fördern's page of a person, changed, dated; roles, tenants, the person page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugins.foerdern import needs
from plugins.foerdern.models import KINDS, PublishedOffer
from plugins.foerdern.needs_models import CATEGORIES, Need
from tests.conftest import login_as
from tests.foerdern.needs_support import (
    TODAY,
    active_tenant,
    add_need,
    add_person,
    audit_events,
    field_error,
    form_post,
    stored,
    text,
)


def page_of(person) -> str:
    return f"/grenchen/foerdern/personen/{person.id}"


def add_form(client, person, **data):
    return form_post(client, page_of(person), f"{page_of(person)}/beduerfnisse", data)


# -- what a need is ----------------------------------------------------------------------------------


def test_every_category_has_a_label_and_kinds_of_offer_that_cover_it():
    assert set(needs.CATEGORY_KINDS) == set(CATEGORIES) == set(needs.CATEGORY_LABELS)
    assert all(kinds and set(kinds) <= set(KINDS) for kinds in needs.CATEGORY_KINDS.values())


def _offer(kind, languages=()):
    return PublishedOffer(tenant_id=1, reach="own", kind=kind, document={"title": {"de": "x"}, "kind": kind,
                                                                         "languages": list(languages)})


@pytest.mark.parametrize(("offer", "category", "spoken", "covered"), [
    (_offer("counselling", ["de", "fr"]), "housing", ["fr", "pt"], True),
    (_offer("counselling", ["de", "fr"]), "housing", ["ti"], False),
    (_offer("counselling"), "housing", ["de"], True),  # no languages named: German
    (_offer("counselling"), "housing", ["ti"], False),
    (_offer("counselling", ["ti"]), "housing", [], True),  # languages unknown: any offer
    (_offer("club", ["ti"]), "housing", ["ti"], False),  # a kind that does not fit
    (_offer("language_course"), "language", ["ti"], True),  # a course teaches its language
    (_offer("own", ["ti"]), "other", ["ti"], True),  # the tenant's own kinds count as "other"
])
def test_an_offer_covers_a_need_of_its_kinds_in_the_persons_language(offer, category, spoken, covered):
    assert needs.covers(offer, category, spoken) is covered


# -- recording, changing ----------------------------------------------------------------------------


def test_an_officer_records_a_need_on_the_persons_page(officer, grenchen):
    person = add_person(grenchen)
    response, _ = add_form(officer, person, category="language", level="A2", note="Abends, wegen der Arbeit.")
    assert response.status_code == 302 and response.headers["Location"].endswith(page_of(person))
    [need] = stored(grenchen, Need)
    assert (need.category, need.level, need.note, need.source, need.state) == (
        "language", "A2", "Abends, wegen der Arbeit.", "direct", "open")
    assert need.state_on == TODAY and need.state_by.startswith("user:")
    page = text(officer.get(page_of(person)))
    assert "Sprache (A2)" in page and "Abends, wegen der Arbeit." in page and "direkt erfasst" in page
    [event] = audit_events(grenchen)
    assert event.action == "foerdern.need.create" and event.object_id == str(need.id)
    assert "Abends" not in str(event.detail) and event.detail["person_id"] == str(person.id)


def test_the_same_form_sent_twice_records_one_need(officer, grenchen):
    person = add_person(grenchen)
    first, payload = add_form(officer, person, category="housing")
    second = officer.post(f"{page_of(person)}/beduerfnisse", data=payload)
    assert first.status_code == second.status_code == 302
    assert len(stored(grenchen, Need)) == 1
    assert "schon gespeichert" in text(officer.get(page_of(person)))


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"category": "luck"}, "category", "Diesen Bereich gibt es nicht"),
    ({"category": "work", "level": "B1"}, "level", "Ein Sprachniveau gibt es nur bei «Sprache»."),
    ({"category": "language", "level": "D7"}, "level", "Dieses Sprachniveau gibt es nicht"),
    ({"category": "other", "note": "x" * 2001}, "note", "Höchstens 2000 Zeichen."),
])
def test_bad_input_gets_a_field_error_and_nothing_is_saved(officer, grenchen, data, field, message):
    person = add_person(grenchen)
    response, _ = add_form(officer, person, **data)
    assert response.status_code == 400
    assert message in field_error(text(response), field)
    assert stored(grenchen, Need) == []


def test_an_officer_changes_a_need_and_marks_it_met_on_a_day(officer, grenchen):
    person = add_person(grenchen)
    need = add_need(grenchen, person, category="other", note="Deutsch?")
    url = f"/grenchen/foerdern/beduerfnisse/{need.id}"
    response, _ = form_post(officer, url, url, {"category": "language", "level": "alpha", "note": "Lesen lernen"})
    assert response.status_code == 302
    [changed] = stored(grenchen, Need)
    assert (changed.category, changed.level, changed.note) == ("language", "alpha", "Lesen lernen")
    response, _ = form_post(officer, url, f"{url}/stand", {"state": "met", "on": str(TODAY - timedelta(days=3))})
    assert response.status_code == 302
    [met] = stored(grenchen, Need)
    assert (met.state, met.state_on) == ("met", TODAY - timedelta(days=3))
    actions = [(e.action, e.detail.get("fields") or e.detail.get("to")) for e in audit_events(grenchen)]
    assert actions[1:] == [("foerdern.need.update", ["category", "level", "note"]), ("foerdern.need.state", "met")]
    assert "Lesen" not in str([e.detail for e in audit_events(grenchen)])


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"state": "met", "on": str(TODAY + timedelta(days=1))}, "on", "Das Datum liegt in der Zukunft."),
    ({"state": "met", "on": "gestern"}, "on", "Bitte ein gültiges Datum eingeben."),
    ({"state": "open", "on": str(TODAY)}, "state", "Bitte eine der angebotenen Möglichkeiten wählen."),
    ({"state": "forgotten", "on": str(TODAY)}, "state", "Bitte eine der angebotenen Möglichkeiten wählen."),
])
def test_a_state_needs_a_known_state_and_a_day_not_in_the_future(officer, grenchen, data, field, message):
    need = add_need(grenchen, add_person(grenchen))
    url = f"/grenchen/foerdern/beduerfnisse/{need.id}"
    response, _ = form_post(officer, url, f"{url}/stand", data)
    assert response.status_code == 400
    assert message in field_error(text(response), field)
    assert stored(grenchen, Need)[0].state == "open"


def test_an_anonymised_persons_needs_are_not_changed(officer, grenchen):
    person = add_person(grenchen, anonymised_on=TODAY)
    response, _ = add_form(officer, person, category="work")
    assert response.status_code == 400 and "anonymisiert" in text(response)
    assert stored(grenchen, Need) == []


# -- who may, and where --------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "read", "write"), [
    ("tenant_admin", 200, 403), ("read_only", 403, 403), ("residents_services", 403, 403)])
def test_needs_are_for_the_officer_and_readable_by_the_administration(client, grenchen, role, read, write):
    person = add_person(grenchen)
    login_as(client, (grenchen, role))
    assert client.get(page_of(person)).status_code == read
    response, _ = form_post(client, page_of(person), f"{page_of(person)}/beduerfnisse", {"category": "work"})
    assert response.status_code == write
    assert client.get("/grenchen/foerdern/beduerfnisse").status_code == read


def test_another_tenants_person_and_need_are_not_found(officer, grenchen):
    balsthal = active_tenant("balsthal")
    theirs = add_person(balsthal)
    their_need = add_need(balsthal, theirs, note="geheim")
    assert officer.get(f"/grenchen/foerdern/personen/{theirs.id}").status_code == 404
    response, _ = form_post(officer, page_of(add_person(grenchen)), f"/grenchen/foerdern/personen/{theirs.id}"
                            "/beduerfnisse", {"category": "work"})
    assert response.status_code == 404
    assert officer.get(f"/grenchen/foerdern/beduerfnisse/{their_need.id}").status_code == 404
    response, _ = form_post(officer, page_of(add_person(grenchen)), f"/grenchen/foerdern/beduerfnisse/{their_need.id}"
                            "/stand", {"state": "met", "on": str(TODAY)})
    assert response.status_code == 404
    assert stored(balsthal, Need)[0].note == "geheim" and stored(grenchen, Need) == []


def test_a_non_member_gets_404(client, grenchen):
    balsthal = active_tenant("balsthal")
    login_as(client, (balsthal, "integration_officer"))
    assert client.get(page_of(add_person(grenchen))).status_code == 404


# -- core's person page ----------------------------------------------------------------------------------


def test_the_person_page_shows_the_panel_and_timeline_to_those_who_may_read_needs(client, grenchen):
    person = add_person(grenchen)
    add_need(grenchen, person, category="childcare", note="Kita-Platz")
    add_need(grenchen, person, category="work", state="withdrawn")
    login_as(client, (grenchen, "integration_officer"))
    page = text(client.get(f"/grenchen/personen/{person.id}"))
    assert "Fördern: Bedürfnisse und Zuweisungen" in page and "Offene Bedürfnisse: Kinderbetreuung" in page
    assert "Einem Angebot zuweisen" in page
    assert "Bedürfnis erfasst" in page and "Bedürfnis zurückgezogen" in page  # the timeline
    assert "Kita-Platz" not in page  # notes stay on Fördern's page
    reader = client.application.test_client()
    login_as(reader, (grenchen, "read_only"))
    page = text(reader.get(f"/grenchen/personen/{person.id}"))
    assert "Fördern: Bedürfnisse" not in page and "Bedürfnis erfasst" not in page

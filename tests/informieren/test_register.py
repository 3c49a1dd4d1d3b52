"""The register: the check of a person's fields, entering and editing through the form, the person
page with its timeline, roles, other tenants and an inactive module."""

from __future__ import annotations

import re
import types
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

import plugins.informieren
from core import audit, clock, modules
from core.ahv import format_ahv
from core.db import db
from core.hookspecs import hookimpl
from core.people import TimelineEntry, format_partial_date
from core.plugins import Manifest
from core.tenancy import tenant_scope
from plugins.informieren import countries
from plugins.informieren.models import Newcomer, PersonChange
from plugins.informieren.register import checks, records
from plugins.informieren.register import timeline as register_timeline
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.informieren.register_support import (
    VN_DIGITS,
    active_tenant,
    add_person,
    fact,
    post_form,
    text,
    valid_form,
    vn_with_check_digit,
)

NEW = "/grenchen/informieren/personen/neu"


@pytest.fixture
def grenchen(ctx):
    return active_tenant("grenchen", [2546])


@pytest.fixture
def officer(client, grenchen):
    login_as(client, (grenchen, "residents_services"), name="Eduard Emmenegger")
    return client


def persons(tenant) -> list[Newcomer]:
    """The tenant's persons as the database has them now (requests run in sessions of their own)."""
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Newcomer).execution_options(populate_existing=True)).all()


def changes(tenant, person_id=None) -> list[PersonChange]:
    with tenant_scope(tenant):
        query = sa.select(PersonChange).order_by(PersonChange.occurred_at)
        if person_id:
            query = query.where(PersonChange.person_id == person_id)
        return db.session.scalars(query).all()


# -- the check, without a request -----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [
    ("1985", "1985"), ("1985-03", "1985-03"), ("1985-03-14", "1985-03-14"),
    ("14.03.1985", "1985-03-14"), ("3.1985", "1985-03"), ("4.3.1985", "1985-03-04"),
])
def test_a_date_of_birth_may_be_partial(raw, stored):
    assert checks.parse_partial_date(raw) == stored


@pytest.mark.parametrize("raw", ["756.9217.0769.85", "7569217076985", "756 9217 0769 85"])
def test_ahv_numbers_are_stored_as_13_digits(raw):
    assert checks.parse_vn(raw) == VN_DIGITS


def test_eu_efta_follows_the_nationalities_and_the_united_kingdom_left():
    assert countries.eu_efta(["PT"], date(2017, 3, 1)) is True
    assert countries.eu_efta(["ER", "PT"], date(2017, 3, 1)) is True
    assert countries.eu_efta(["ER"], date(2017, 3, 1)) is False
    assert countries.eu_efta(["ER", "CH"], date(2017, 3, 1)) is None  # a Swiss national needs no permit
    assert countries.eu_efta([], date(2017, 3, 1)) is None
    assert countries.eu_efta(["GB"], date(2017, 3, 1)) is True
    assert countries.eu_efta(["GB"], date(2021, 3, 1)) is False


def test_the_register_takes_the_platforms_countries_and_languages():
    assert checks.parse_nationalities("pt, xk, BFS-8999") == ["PT", "XK", "BFS-8999"]  # core.i18n's codes
    with pytest.raises(checks.Invalid, match="EU"):
        checks.parse_nationalities(["EU"])  # a grouping is no one's nationality
    assert checks.parse_languages("TI, sq") == ["ti", "sq"]


# -- entering a person ----------------------------------------------------------------------------------


def test_a_newcomer_is_entered_through_the_form(officer, grenchen):
    response = post_form(officer, NEW, valid_form(nationalities=["PT", "DE"], languages="PT, fr, pt"))
    assert response.status_code == 302
    [person] = persons(grenchen)
    assert response.headers["Location"].endswith(f"/grenchen/personen/{person.id}")  # core's person page
    assert (person.official_name, person.first_name, person.sex) == ("Silva", "Ana", "f")
    assert person.date_of_birth == "1985-03" and person.arrival_date == date(2017, 3, 1)
    assert person.nationalities == ["PT", "DE"] and person.languages == ["pt", "fr"]
    assert person.eu_efta is True and person.permit_category == "B" and person.municipality_bfs == 2546
    assert (person.street, person.house_number, person.postal_code, person.town) == (
        "Bahnhofstrasse", "12", "2540", "Grenchen")
    assert person.vn == VN_DIGITS and person.local_person_id == "2546:1001"
    assert person.source == "manual" and person.stage == "new" and person.household_key == f"manual:{person.id}"
    [change] = changes(grenchen)
    assert change.kind == "created" and change.source == "manual" and change.actor.startswith("user:")
    assert {"official_name", "vn", "nationalities"} <= set(change.fields)
    with tenant_scope(grenchen):
        event = db.session.scalars(sa.select(audit.AuditEvent).where(
            audit.AuditEvent.action == "informieren.person.create")).one()
    assert event.object_id == str(person.id) and "Silva" not in str(event.detail)
    page = text(officer.get(response.headers["Location"]))
    assert "Ana Silva" in page and "756.9217.0769.85" in page and "03.1985" in page
    assert "Portugal, Deutschland" in page and "Portugiesisch (liest am besten), Französisch" in page
    # Informieren's panel on core's page: what the module keeps, and its links.
    assert fact(page, "Zuzug aus dem Ausland") == "01.03.2017"
    assert fact(page, "Bewilligung bei Zuzug") == "B (Aufenthaltsbewilligung)"
    assert fact(page, "EU/EFTA") == "EU/EFTA-Staat" and fact(page, "Stand") == "Neu"
    assert fact(page, "Herkunft des Eintrags") == "von Hand erfasst"
    assert f'href="/grenchen/informieren/personen/{person.id}/bearbeiten"' in page


def test_only_the_required_fields_are_needed(officer, grenchen):
    response = post_form(officer, NEW, {"official_name": "Tesfay", "first_name": "Yonas",
                                        "arrival_date": "2017-04-02", "municipality_bfs": "2546"})
    assert response.status_code == 302
    [person] = persons(grenchen)
    assert person.vn is None and person.nationalities == [] and person.eu_efta is None and person.sex is None


FUTURE = (clock.today() + timedelta(days=1)).isoformat()  # Swiss calendar day, as the check uses


@pytest.mark.parametrize(("field", "value", "message"), [
    ("official_name", "", "Bitte ausfüllen."),
    ("first_name", "  ", "Bitte ausfüllen."),
    ("first_name", "x" * 101, "Höchstens 100 Zeichen."),
    ("sex", "x", "Bitte «f» (weiblich) oder «m» (männlich) angeben, oder nichts."),
    ("date_of_birth", "März 85", "Bitte als TT.MM.JJJJ, MM.JJJJ oder JJJJ angeben (oder JJJJ-MM-TT)."),
    ("date_of_birth", "1985-13", "Dieses Datum gibt es nicht."),
    ("date_of_birth", "31.02.1985", "Dieses Datum gibt es nicht."),
    ("date_of_birth", "1850", "Das Geburtsjahr muss nach 1900 liegen."),
    ("date_of_birth", "2999", "Das Geburtsdatum liegt in der Zukunft."),
    ("nationalities", ["PT", "XY"], "Unbekannter Ländercode: XY."),
    ("languages", "pt, zz", "Unbekannter Sprachcode: zz (erwartet wird ISO 639-1"),
    ("arrival_date", "", "Bitte ausfüllen."),
    ("arrival_date", "2017-02-30", "Bitte ein Datum angeben (TT.MM.JJJJ)."),
    ("arrival_date", FUTURE, "Das Zuzugsdatum darf nicht in der Zukunft liegen."),
    ("municipality_bfs", "", "Bitte ausfüllen."),
    ("municipality_bfs", "abc", "Bitte eine Gemeinde wählen."),
    ("municipality_bfs", "2422", "Diese Gemeinde betreut Grenchen nicht."),
    ("permit_category", "X", "Unbekannte Bewilligungskategorie"),
    ("street", "x" * 151, "Höchstens 150 Zeichen."),
    ("postal_code", "25400", "Die Postleitzahl hat vier Ziffern."),
    ("vn", "123.4567", "Die AHV-Nummer hat die Form 756.XXXX.XXXX.XX."),
    ("vn", "756.9217.0769.84", "Die Prüfziffer der AHV-Nummer stimmt nicht"),
    ("vn", "123.4567.8910.19", "Die AHV-Nummer hat die Form 756.XXXX.XXXX.XX."),  # a right check digit, not 756
    ("moves_with", str(uuid.uuid4()), "Diese Person gibt es nicht."),
    ("moves_with", "jemand", "Diese Person gibt es nicht."),
])
def test_every_field_error_is_shown_in_german_and_nothing_is_saved(officer, grenchen, field, value, message):
    response = post_form(officer, NEW, valid_form(**{field: value}))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert page.count('class="error"') == 1
    assert 'aria-invalid="true"' in page
    assert persons(grenchen) == [] and changes(grenchen) == []
    assert 'value="12"' in page and 'value="Grenchen"' in page  # what was typed is still there


def test_several_errors_at_once_and_a_second_try_succeeds(officer, grenchen):
    page = officer.get(NEW).text
    bad = post_form(officer, NEW, valid_form(official_name="", vn="756.9217.0769.84", languages="xx"), page=page)
    assert text(bad).count('class="error"') == 3
    good = post_form(officer, NEW, valid_form(), page=page)
    assert good.status_code == 302 and len(persons(grenchen)) == 1


def test_a_duplicate_ahv_number_or_registry_id_is_a_field_error(officer, grenchen, client):
    assert post_form(officer, NEW, valid_form()).status_code == 302
    again = post_form(officer, NEW, valid_form(first_name="Beatriz", local_person_id="2546:1002"))
    assert again.status_code == 200
    assert "Diese AHV-Nummer ist bereits erfasst (Ana Silva)." in text(again)
    same_id = post_form(officer, NEW, valid_form(first_name="Beatriz", vn=""))
    assert "Diese Personen-ID des Registers ist in dieser Gemeinde bereits vergeben (Ana Silva)." in text(same_id)
    assert len(persons(grenchen)) == 1


def test_the_same_ahv_number_in_another_tenant_is_no_duplicate(officer, grenchen):
    balsthal = active_tenant("balsthal", [2422])
    add_person(balsthal, municipality_bfs=2422, vn=VN_DIGITS)
    assert post_form(officer, NEW, valid_form()).status_code == 302


def test_a_duplicate_between_check_and_insert_is_still_a_field_error(grenchen, monkeypatch):
    """Two entries racing: the unique index refuses the second, which then gets the field error."""
    add_person(grenchen, vn=VN_DIGITS, first_name="Ana", official_name="Silva")
    real, calls = checks._holder, []

    def late(condition, person_id):
        calls.append(1)
        return None if len(calls) == 1 else real(condition, person_id)

    monkeypatch.setattr(checks, "_holder", late)
    with tenant_scope(grenchen), pytest.raises(checks.PersonInvalid) as raised:
        records.create_person(valid_form(local_person_id=""), grenchen)
    assert raised.value.errors["vn"] == ["Diese AHV-Nummer ist bereits erfasst (Ana Silva)."]


def test_submitting_the_form_twice_creates_one_person(officer, grenchen):
    page = officer.get(NEW).text
    first = post_form(officer, NEW, valid_form(), page=page)
    second = post_form(officer, NEW, valid_form(), page=page)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(persons(grenchen)) == 1 and len(changes(grenchen)) == 1
    assert "zweimal abgeschickt" in text(officer.get(second.headers["Location"]))
    fresh = post_form(officer, NEW, valid_form(vn="", local_person_id="", first_name="Beatriz"))
    assert fresh.status_code == 302 and len(persons(grenchen)) == 2  # a new form: a new key


def test_two_simultaneous_submissions_create_one_person(officer, grenchen):
    page = officer.get(NEW).text
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: post_form(officer, NEW, valid_form(), page=page), range(2)))
    errors = [re.findall(r'(?:error|alert)"[^>]*>([^<]*)', text(r)) for r in results]
    assert [r.status_code for r in results] == [302, 302], errors
    assert len(persons(grenchen)) == 1 and len(changes(grenchen)) == 1


def test_a_tampered_form_key_is_refused_without_an_error_page(officer, grenchen):
    response = post_form(officer, NEW, {**valid_form(), "form_key": "nonsense"})
    assert response.status_code == 200 and "unvollständig angekommen" in text(response)
    assert persons(grenchen) == []


def test_a_missing_csrf_token_saves_nothing(officer, grenchen):
    response = officer.post(NEW, data={**valid_form(), "form_key": str(uuid.uuid4())})
    assert response.status_code in (200, 400) and persons(grenchen) == []


def test_only_the_tenants_communes_are_offered(officer, grenchen):
    page = officer.get(NEW).text
    assert 'value="2546"' in page and 'value="2422"' not in page
    assert '<option value="PT">Portugal</option>' in page


# -- households --------------------------------------------------------------------------------------------


def test_a_household_member_is_entered_from_the_persons_page(officer, grenchen):
    post_form(officer, NEW, valid_form())
    [ana] = persons(grenchen)
    url = f"{NEW}?mit={ana.id}"
    page = officer.get(url).text
    old_page = officer.get(f"/grenchen/informieren/personen/{ana.id}")  # Informieren's page: now core's
    assert old_page.status_code == 302 and old_page.headers["Location"].endswith(f"/grenchen/personen/{ana.id}")
    assert "Weitere Person dieses Haushalts erfassen" in officer.get(old_page.headers["Location"]).text
    assert 'value="Bahnhofstrasse"' in page and f'<option selected value="{ana.id}">' in page
    response = post_form(officer, url, valid_form(first_name="Rui", sex="m", date_of_birth="2010", vn="",
                                                  local_person_id="2546:1002", moves_with=str(ana.id)), page=page)
    assert response.status_code == 302
    rui = next(p for p in persons(grenchen) if p.first_name == "Rui")
    assert rui.household_key == ana.household_key
    ana_page = text(officer.get(f"/grenchen/personen/{ana.id}"))
    assert f'href="/grenchen/personen/{rui.id}">Rui Silva</a>' in ana_page


def test_moving_in_with_a_person_without_household_gives_both_one(officer, grenchen):
    imported = add_person(grenchen, household_key=None, street="Ring", house_number="1", postal_code="2540")
    response = post_form(officer, NEW, valid_form(moves_with=str(imported.id)))
    assert response.status_code == 302
    by_name = {p.first_name + p.official_name: p for p in persons(grenchen)}
    assert by_name["AnaSilva"].household_key == by_name["AnaMuster"].household_key == f"manual:{imported.id}"
    assert [c.fields for c in changes(grenchen, imported.id)] == [["household_key"]]


def test_an_edit_can_join_a_neighbour_or_leave_the_household(officer, grenchen):
    ana = add_person(grenchen, household_key="h1", street="Ring", house_number="1", postal_code="2540")
    rui = add_person(grenchen, first_name="Rui", household_key="h2", street="Ring", house_number="1",
                     postal_code="2540", arrival_date=date(2017, 3, 20))
    url = f"/grenchen/informieren/personen/{rui.id}/bearbeiten"
    page = officer.get(url).text
    assert f'value="{ana.id}"' in page  # same address, arrived within days: offered
    assert post_form(officer, url, _as_form(rui, moves_with=str(ana.id)), page=page).status_code == 302
    assert {p.household_key for p in persons(grenchen)} == {"h1"}
    assert post_form(officer, url, _as_form(rui, moves_with="new")).status_code == 302
    keys = {p.first_name: p.household_key for p in persons(grenchen)}
    assert keys["Ana"] == "h1" and keys["Rui"].startswith("manual:")


# -- editing ------------------------------------------------------------------------------------------------


def _as_form(person: Newcomer, **changes) -> dict:
    data = {
        "official_name": person.official_name, "first_name": person.first_name, "sex": person.sex or "",
        "date_of_birth": format_partial_date(person.date_of_birth),
        "nationalities": list(person.nationalities), "languages": ", ".join(person.languages),
        "arrival_date": person.arrival_date.isoformat(), "municipality_bfs": str(person.municipality_bfs),
        "permit_category": person.permit_category or "", "street": person.street or "",
        "house_number": person.house_number or "", "postal_code": person.postal_code or "",
        "town": person.town or "", "moves_with": "", "local_person_id": person.local_person_id or "",
        "vn": format_ahv(person.vn),
    }
    data.update(changes)
    return data


def test_an_edit_records_the_changed_fields(officer, grenchen):
    post_form(officer, NEW, valid_form())
    [person] = persons(grenchen)
    url = f"/grenchen/informieren/personen/{person.id}/bearbeiten"
    page = officer.get(url).text
    assert 'value="Silva"' in page and 'value="756.9217.0769.85"' in page and 'value="pt, fr"' in page
    response = post_form(officer, url, _as_form(person, first_name="Ana Maria", nationalities=["BR"],
                                                vn=vn_with_check_digit("756123456789")), page=page)
    assert response.status_code == 302
    [person] = persons(grenchen)
    assert person.first_name == "Ana Maria" and person.eu_efta is False
    edited = changes(grenchen)[-1]
    assert edited.kind == "edited" and edited.fields == ["eu_efta", "first_name", "nationalities", "vn"]
    unchanged = post_form(officer, url, _as_form(person))
    assert unchanged.status_code == 302 and "nichts zu ändern" in text(officer.get(unchanged.headers["Location"]))
    assert len(changes(grenchen)) == 2
    with tenant_scope(grenchen):
        actions = db.session.scalars(sa.select(audit.AuditEvent.action).where(
            audit.AuditEvent.action.startswith("informieren.person"))).all()
    assert sorted(actions) == ["informieren.person.create", "informieren.person.update"]


def test_an_edit_with_errors_changes_nothing(officer, grenchen):
    person = add_person(grenchen)
    url = f"/grenchen/informieren/personen/{person.id}/bearbeiten"
    response = post_form(officer, url, _as_form(person, official_name="", postal_code="1"))
    assert response.status_code == 200 and text(response).count('class="error"') == 2
    assert persons(grenchen)[0].official_name == "Muster" and changes(grenchen) == []


def test_an_imported_record_with_values_the_form_does_not_offer_stays_editable(officer, grenchen):
    person = add_person(grenchen, permit_category="03", nationalities=["BFS-8999"], languages=["xx"],
                        postal_code="D-79539")
    url = f"/grenchen/informieren/personen/{person.id}/bearbeiten"
    page = officer.get(url).text
    assert '<option selected value="03">03</option>' in page
    response = post_form(officer, url, _as_form(person, first_name="Anna"), page=page)
    assert response.status_code == 302
    [person] = persons(grenchen)
    assert (person.first_name, person.permit_category, person.languages) == ("Anna", "03", ["xx"])


def test_a_moved_away_commune_of_a_regional_group_is_kept(ctx, client):
    region = active_tenant("buchegg", [2465, 2455], kind="region")
    login_as(client, (region, "residents_services"))
    page = client.get("/buchegg/informieren/personen/neu").text
    assert "– bitte wählen –" in page and 'value="2455"' in page and 'value="2465"' in page


# -- the person's page and timeline -------------------------------------------------------------------------


@pytest.fixture
def probe_app(app, database_url):
    plugin = types.ModuleType("probe")
    plugin.manifest = Manifest(id="probe", title="Probe", version="1.0")

    @hookimpl
    def person_timeline(tenant, person_id):
        return [TimelineEntry(at=datetime(2017, 4, 1, 8, tzinfo=UTC), module="probe", title="Probe-Eintrag",
                              detail=f"Mandant {tenant.slug}")]

    plugin.person_timeline = person_timeline
    test_app = make_app(plugins=[plugins.informieren, plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        yield test_app
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def test_the_timeline_shows_every_active_modules_entries(probe_app):
    grenchen = active_tenant("grenchen", [2546])
    modules.entitle(grenchen, "probe")
    db.session.commit()
    client = probe_app.test_client()
    login_as(client, (grenchen, "residents_services"), name="Eduard Emmenegger")
    post_form(client, NEW, valid_form())
    [person] = persons(grenchen)
    post_form(client, f"/grenchen/informieren/personen/{person.id}/bearbeiten", _as_form(person, town="Grenchen SO"))
    with tenant_scope(grenchen):
        db.session.add(PersonChange(person_id=person.id, actor="system", kind="corrected", source="ech0020",
                                    fields=["official_name"]))
        db.session.commit()
    url = f"/grenchen/personen/{person.id}"
    page = text(client.get(url))
    assert "Zuzug aus dem Ausland" in page and "Erfasst" in page
    assert re.search(r"<td>01\.03\.2017</td>\s*<td>Zuzug aus dem Ausland", client.get(url).text)  # a day, no time
    assert "Bearbeitet" in page and "Ort" in page and "Eduard Emmenegger" in page
    assert "Vom Einwohnerregister berichtigt" in page and "Amtlicher Name" in page
    assert "Probe-Eintrag" not in page  # entitled, not active: its entries stay hidden
    modules.activate(grenchen, "probe")
    db.session.commit()
    page = text(client.get(url))
    assert "Probe-Eintrag" in page and "Mandant grenchen" in page
    modules.suspend(grenchen, "probe")
    db.session.commit()
    assert "Probe-Eintrag" not in text(client.get(url))


def test_register_timeline_lists_arrival_and_changes_newest_last(grenchen):
    person = add_person(grenchen)
    with tenant_scope(grenchen):
        db.session.add(PersonChange(person_id=person.id, actor="system", kind="created", source="ech0020",
                                    fields=["official_name"]))
        db.session.commit()
        entries = register_timeline.timeline(person.id)
        assert [str(e.title) for e in entries] == ["Zuzug aus dem Ausland", "Aus dem Einwohnerregister übernommen"]
        assert entries[0].at == datetime(2017, 2, 28, 23, tzinfo=entries[0].at.tzinfo)  # midnight in Zurich
        assert entries[0].all_day and not entries[1].all_day  # a calendar day is shown without a time
        assert register_timeline.timeline(uuid.uuid4()) == []


# -- roles, other tenants, an inactive module ----------------------------------------------------------------


def _routes(person_id) -> list[str]:
    base = "/grenchen/informieren/personen"
    return [base, f"{base}/neu", f"{base}/{person_id}", f"{base}/{person_id}/bearbeiten"]


@pytest.mark.parametrize(("role", "read", "edit"), [
    ("read_only", 200, 403), ("tenant_admin", 200, 403), ("residents_services", 200, 200),
    ("integration_officer", 200, 200),
])
def test_roles(client, grenchen, role, read, edit):
    person = add_person(grenchen)
    login_as(client, (grenchen, role))
    listing, new, page, edit_page = _routes(person.id)
    assert client.get(listing).status_code == read and client.get(page, follow_redirects=True).status_code == read
    assert client.get(new).status_code == edit and client.get(edit_page).status_code == edit
    if edit == 403:
        readable = client.get(listing).text  # a CSRF token, so that the permission is what refuses
        assert post_form(client, new, valid_form(), page=readable).status_code == 403
        assert post_form(client, edit_page, _as_form(person, official_name="X"), page=readable).status_code == 403
        assert persons(grenchen)[0].official_name == "Muster"
        assert "/bearbeiten" not in text(client.get(page, follow_redirects=True))
        assert "Person erfassen" not in text(client.get(listing))


def test_another_tenants_person_is_not_found_on_any_route(client, grenchen):
    balsthal = active_tenant("balsthal", [2422])
    theirs = add_person(balsthal, municipality_bfs=2422, official_name="Fremd")
    login_as(client, (grenchen, "residents_services"), (balsthal, "read_only"))
    for url in _routes(theirs.id)[2:]:
        assert client.get(url).status_code == 404
    assert post_form(client, _routes(theirs.id)[3], _as_form(theirs, official_name="X"),
                     page=client.get(_routes(theirs.id)[0]).text).status_code == 404
    assert "Fremd" not in client.get(_routes(theirs.id)[0]).text
    assert client.get(f"/balsthal/informieren/personen/{theirs.id}", follow_redirects=True).status_code == 200
    mine = add_person(grenchen)
    assert client.get(f"/balsthal/informieren/personen/{mine.id}").status_code == 404
    # A "moves with" pointing into the other tenant is no person here.
    response = post_form(client, NEW, valid_form(moves_with=str(theirs.id)))
    assert "Diese Person gibt es nicht." in text(response)


def test_a_non_member_gets_404(client, grenchen):
    balsthal = active_tenant("balsthal", [2422])
    person = add_person(grenchen)
    login_as(client, (balsthal, "residents_services"))
    assert all(client.get(url).status_code == 404 for url in _routes(person.id))


def test_every_route_answers_404_where_the_module_is_not_active(client, ctx):
    tenant = make_tenant("grenchen", communes=[2546])
    modules.entitle(tenant, "informieren")
    db.session.commit()
    person = add_person(tenant)
    login_as(client, (tenant, "residents_services"))
    assert all(client.get(url).status_code == 404 for url in _routes(person.id))
    assert client.post(_routes(person.id)[1], data=valid_form()).status_code == 404

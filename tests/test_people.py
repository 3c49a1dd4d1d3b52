"""The platform's person: search in any spelling, the duplicate warning, the person page, export, retention."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEvent
from core.db import db
from core.people import Person, duplicates, format_partial_date, matching, retention
from core.tenancy import tenant_scope
from tests.conftest import login_as


def add(tenant, first, official, **values) -> Person:
    with tenant_scope(tenant):
        person = Person(first_name=first, official_name=official, municipality_bfs=values.pop("bfs", 2546),
                        nationalities=values.pop("nationalities", ["DE"]), languages=values.pop("languages", ["de"]),
                        **values)
        db.session.add(person)
        db.session.commit()
    return person


def found(tenant, text) -> set[str]:
    with tenant_scope(tenant):
        return {p.official_name for p in db.session.scalars(sa.select(Person).where(matching(text)))}


@pytest.fixture
def people(two_tenants):
    a, b = two_tenants
    add(a, "Jonas", "Müller", date_of_birth="1992-02-14", vn="7561234567897")
    add(a, "Олена", "Коваленко", date_of_birth="1979-07-03")
    add(a, "Inês", "Silva Pereira", date_of_birth="2015")
    add(b, "Hans", "Müller")
    return a, b


@pytest.mark.parametrize("text, expected", [
    ("muller", {"Müller"}), ("mueller", {"Müller"}), ("MÜLLER", {"Müller"}), ("jonas müller", {"Müller"}),
    ("kovalenko", {"Коваленко"}), ("Коваленко", {"Коваленко"}), ("olena", {"Коваленко"}),
    ("ines pereira", {"Silva Pereira"}), ("4567", {"Müller"}), ("nobody", set()), ("%", set()),
])
def test_the_search_ignores_accents_scripts_and_case(people, text, expected):
    a, _b = people
    assert found(a, text) == expected


def test_the_search_stays_in_its_tenant(people):
    _a, b = people
    assert found(b, "muller") == {"Müller"} and found(b, "kovalenko") == set()


def test_duplicates_by_ahv_number_or_by_name_and_birth_date_in_any_spelling(people):
    a, b = people
    with tenant_scope(a):
        assert [p.first_name for p in duplicates("Mueller", "Jonas", "1992-02-14", None)] == ["Jonas"]
        assert [p.first_name for p in duplicates("Muller", "jonas", "1992", None)] == ["Jonas"]  # partial date
        assert duplicates("Müller", "Jonas", "1992-03-01", None) == []  # another birthday
        assert duplicates("Müller", "Jonas", None, None) == []  # a name alone is no reason
        assert [p.first_name for p in duplicates("Anders", "Name", None, "7561234567897")] == ["Jonas"]
        assert [p.first_name for p in duplicates("Silva Pereira", "Inês", "2015-09-30", None)] == ["Inês"]
        jonas = db.session.scalars(sa.select(Person).where(Person.first_name == "Jonas")).one()
        assert duplicates("Müller", "Jonas", "1992-02-14", None, exclude=jonas.id) == []
    with tenant_scope(b):
        assert duplicates("Müller", "Jonas", "1992-02-14", "7561234567897") == []  # another tenant's


def test_a_partial_date_of_birth_is_shown_the_swiss_way():
    assert [format_partial_date(value) for value in ("1985-03-14", "1985-03", "1985", None, "")] == [
        "14.03.1985", "03.1985", "1985", "", ""]


def test_the_person_page_shows_identity_and_warns_of_a_duplicate(client, people):
    a, _b = people
    twin = add(a, "Jonas", "Mueller", date_of_birth="1992-02-14")
    login_as(client, (a, "integration_officer"))
    page = client.get(f"/grenchen/personen/{twin.id}")
    assert page.status_code == 200
    assert "Möglicherweise dieselbe Person" in page.text and "Jonas Müller" in page.text
    listing = client.get("/grenchen/personen/?suche=kovalenko")
    assert "Коваленко, Олена" in listing.text and "Müller, Jonas" not in listing.text


def test_the_person_page_answers_404_for_another_tenants_person_and_403_without_permission(client, people):
    a, b = people
    with tenant_scope(b):
        hans = db.session.scalars(sa.select(Person).where(Person.first_name == "Hans")).one()
    login_as(client, (a, "integration_officer"))
    assert client.get(f"/grenchen/personen/{hans.id}").status_code == 404
    assert client.get(f"/balsthal/personen/{hans.id}").status_code == 404  # not a member there
    assert client.get(f"/grenchen/personen/{hans.id}/auskunft").status_code == 403  # officers do not export


def test_the_export_holds_everything_and_is_audited(client, people):
    a, _b = people
    with tenant_scope(a):
        jonas = db.session.scalars(sa.select(Person).where(Person.first_name == "Jonas")).one()
    login_as(client, (a, "tenant_admin"))
    response = client.get(f"/grenchen/personen/{jonas.id}/auskunft")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["sections"]["Person"]["official_name"] == "Müller" and data["sections"]["Person"]["vn"]
    with tenant_scope(a):
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "person.export")).one()
    assert event.object_id == str(jonas.id) and "Müller" not in json.dumps(event.detail)


def test_retention_anonymises_only_whom_no_module_holds(people, monkeypatch):
    a, b = people
    assert retention.apply(a) == 0  # made today: core holds them for a year
    monkeypatch.setattr(clock, "today", lambda: date.today() + timedelta(days=400))
    assert retention.apply(a) == 3
    with tenant_scope(a):
        gone = db.session.scalars(sa.select(Person)).all()
    assert {p.official_name for p in gone} == {""} and all(p.vn is None and p.search_name == "" for p in gone)
    assert {p.nationalities[0] for p in gone} == {"DE"}  # what the figures need stays
    assert all(p.anonymised_on for p in gone)
    with tenant_scope(b):
        assert db.session.scalars(sa.select(Person.official_name)).all() == ["Müller"]  # another tenant's: untouched
    assert retention.apply(a) == 0  # the next day: nothing left

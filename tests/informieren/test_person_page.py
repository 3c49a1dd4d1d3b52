"""Informieren on core's person page: its panel (what it keeps, links as the user may) and the redirect."""

from __future__ import annotations

import re
import uuid

import pytest

from core import modules
from core.db import db
from core.people import Person
from core.tenancy import tenant_scope
from plugins.informieren.models import WelcomeLetter
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

"""Worklist and deadlines: who is due and overdue, the start page, the settings page, the tenant home."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core import provisioning
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren import retention, worklist
from plugins.informieren.models import Interview, Newcomer, WelcomeLetter
from tests.conftest import login_as
from tests.informieren.test_interviews import TODAY, csrf_token, make_person, setup_world


@pytest.fixture
def world(ctx, monkeypatch):
    return setup_world(monkeypatch)


def add_letter(tenant, person, state="sent"):
    with tenant_scope(tenant):
        db.session.add(WelcomeLetter(person_id=person.id, household_key=str(person.id), language="de", state=state,
                                     sent_on=TODAY if state == "sent" else None))
    db.session.commit()


def add_interview(tenant, person, outcome, held_on=TODAY):
    with tenant_scope(tenant):
        db.session.add(Interview(person_id=person.id, invitation="letter", invited_on=held_on, outcome=outcome,
                                 held_on=held_on, created_by="test"))
    db.session.commit()


def names(tenant, kind) -> list[str]:
    with tenant_scope(tenant):
        return [row["name"] for row in worklist.rows(tenant, worklist.BY_KIND[kind], 100)]


def test_deadlines_count_from_the_arrival_day(world):
    a, _b, _off = world
    # Letter deadline 14 days: arrived 1 June -> due until 15 June (today), 31 May -> overdue.
    on_time = make_person(a, arrival=TODAY - timedelta(days=14), first_name="Rechtzeitig")
    late = make_person(a, arrival=TODAY - timedelta(days=15), first_name="Spät")
    future = make_person(a, arrival=TODAY + timedelta(days=3), first_name="Angekündigt")
    assert names(a, "letter_due") == ["Rechtzeitig Muster", "Angekündigt Muster"]
    assert names(a, "letter_overdue") == ["Spät Muster"]
    # Interview deadline 90 days: all three are still due.
    assert sorted(names(a, "interview_due")) == ["Angekündigt Muster", "Rechtzeitig Muster", "Spät Muster"]
    old = make_person(a, arrival=TODAY - timedelta(days=91), first_name="Alt")
    assert names(a, "interview_overdue") == ["Alt Muster"]
    with tenant_scope(a):
        rows = worklist.rows(a, worklist.BY_KIND["letter_overdue"], 10)
        assert rows[0]["deadline"] == old.arrival_date + timedelta(days=14)
        assert worklist.counts(a) == {"letter_overdue": 2, "letter_due": 2, "interview_overdue": 1,
                                      "interview_due": 3}
    assert on_time and late and future


def test_a_sent_letter_or_a_held_or_declined_interview_takes_a_person_off_the_list(world):
    a, _b, _off = world
    arrival = TODAY - timedelta(days=100)
    lettered = make_person(a, arrival=arrival, first_name="Brief")
    generated = make_person(a, arrival=arrival, first_name="Erstellt")
    held = make_person(a, arrival=arrival, first_name="Geführt")
    declined = make_person(a, arrival=arrival, first_name="Abgelehnt")
    no_show = make_person(a, arrival=arrival, first_name="Fehlt")
    cancelled = make_person(a, arrival=arrival, first_name="Abgesagt")
    add_letter(a, lettered)
    add_letter(a, generated, state="generated")
    add_interview(a, held, "held")
    add_interview(a, declined, "declined")
    add_interview(a, no_show, "no_show")
    add_interview(a, cancelled, "cancelled")
    add_interview(a, cancelled, None)  # invited again, not yet held
    # A letter printed but not posted is not done: the person stays on the letter list.
    assert "Brief Muster" not in names(a, "letter_overdue") and "Erstellt Muster" in names(a, "letter_overdue")
    assert sorted(names(a, "interview_overdue")) == ["Abgesagt Muster", "Brief Muster", "Erstellt Muster",
                                                     "Fehlt Muster"]


def test_the_tenants_deadlines_apply(world):
    a, b, _off = world
    make_person(a, arrival=TODAY - timedelta(days=20))
    make_person(b, arrival=TODAY - timedelta(days=20))
    provisioning.set_setting(a, worklist.LETTER_DAYS, 30)
    db.session.commit()
    assert len(names(a, "letter_due")) == 1 and names(a, "letter_overdue") == []
    assert names(b, "letter_due") == [] and len(names(b, "letter_overdue")) == 1


def test_the_start_page_shows_counts_names_and_links(client, world):
    a, b, _off = world
    person = make_person(a, arrival=TODAY - timedelta(days=30), first_name="Überfällig")
    make_person(b, arrival=TODAY - timedelta(days=30), first_name="Anderswo")
    login_as(client, (a, "residents_services"))
    page = client.get("/grenchen/informieren/")
    assert page.status_code == 200
    assert "Begrüssungsschreiben überfällig" in page.text and "Überfällig Muster" in page.text
    assert "Anderswo" not in page.text  # another tenant's newcomer
    assert f'href="/grenchen/personen/{person.id}"' in page.text  # core's person page
    assert "16.05.2017" in page.text and "30.05.2017" in page.text  # arrival and letter deadline
    assert "Fristen ab Zuzug: Begrüssungsschreiben 14 Tage, Erstinformationsgespräch 90 Tage." in page.text
    assert "/grenchen/informieren/einstellungen" not in page.text  # not for residents' services
    assert "/grenchen/informieren/gespraeche" not in page.text
    assert 'href="/grenchen/informieren/personen"' in page.text and 'href="/grenchen/informieren/importe"' in page.text
    assert 'href="/grenchen/informieren/schreiben"' in page.text


def test_the_start_page_links_only_what_the_role_may_open(app, world):
    a, _b, _off = world
    client = app.test_client()
    login_as(client, (a, "read_only"))
    page = client.get("/grenchen/informieren/").text
    assert 'href="/grenchen/informieren/personen"' in page
    assert "/grenchen/informieren/importe" not in page and "/grenchen/informieren/schreiben" not in page


def test_each_list_has_pages(client, world, monkeypatch):
    a, _b, _off = world
    monkeypatch.setattr(worklist, "PAGE_SIZE", 3)
    monkeypatch.setattr(worklist, "PREVIEW", 2)
    for number in range(7):
        make_person(a, arrival=TODAY - timedelta(days=20 + number), first_name=f"P{number}")
    login_as(client, (a, "integration_officer"))
    overview = client.get("/grenchen/informieren/")
    assert "Alle 7 anzeigen" in overview.text
    first = client.get("/grenchen/informieren/?liste=letter_overdue")
    third = client.get("/grenchen/informieren/?liste=letter_overdue&seite=3")
    assert "P6 Muster" in first.text and "P4 Muster" in first.text and "P3 Muster" not in first.text
    assert "P0 Muster" in third.text and "Weiter" not in third.text
    assert client.get("/grenchen/informieren/?liste=nonsense").status_code == 404
    assert client.get("/grenchen/informieren/?liste=letter_due&seite=abc").status_code == 200


def _worklist(page) -> dict[str, str]:
    block = re.search(r'<ul class="worklist">(.*?)</ul>', page.text, re.S)
    items = re.findall(r'<a href="([^"]+)">([^<]+)</a>: <strong>(\d+)</strong>', block.group(1)) if block else []
    return {title: (count, href) for href, title, count in items}


def test_the_tenant_home_shows_each_member_the_worklist_of_their_tasks(client, world):
    a, _b, off = world
    make_person(a, arrival=TODAY - timedelta(days=30))
    make_person(a, arrival=TODAY - timedelta(days=3))
    login_as(client, (a, "integration_officer"), (off, "integration_officer"))
    page = client.get("/grenchen/")
    items = _worklist(page)
    assert items["Begrüssungsschreiben überfällig"] == ("1", "/grenchen/informieren/?liste=letter_overdue")
    assert items["Begrüssungsschreiben fällig"][0] == "1"
    assert items["Erstinformationsgespräch fällig"][0] == "2"
    assert items["Erstinformationsgespräch überfällig"][0] == "0"
    assert list(items)[:2] == ["Begrüssungsschreiben überfällig", "Erstinformationsgespräch überfällig"]
    assert "früheste Frist 30.05.2017" in page.text  # 30 days ago plus the letter's 14
    assert _worklist(client.get("/dornach/")) == {}  # module not active there
    services = client.application.test_client()
    login_as(services, (a, "residents_services"))
    assert set(_worklist(services.get("/grenchen/"))) == {"Begrüssungsschreiben überfällig",
                                                         "Begrüssungsschreiben fällig"}
    reader = client.application.test_client()
    login_as(reader, (a, "read_only"))
    assert _worklist(reader.get("/grenchen/")) == {}  # no tasks of theirs


def test_where_the_module_is_off_the_worklist_answers_404(client, world):
    _a, _b, off = world
    login_as(client, (off, "tenant_admin"))
    for url in ("/dornach/informieren/", "/dornach/informieren/einstellungen"):
        assert client.get(url).status_code == 404


# -- settings ----------------------------------------------------------------------------------------


def _save_settings(client, **values):
    page = client.get("/grenchen/informieren/einstellungen")
    data = {"csrf_token": csrf_token(page.text), "letter_deadline_days": "21", "interview_deadline_days": "60",
            "retention_years": "5", **values}
    return client.post("/grenchen/informieren/einstellungen", data={k: v for k, v in data.items() if v is not None})


def test_deadlines_are_set_on_the_settings_page(client, world):
    a, _b, _off = world
    login_as(client, (a, "tenant_admin"))
    page = client.get("/grenchen/informieren/einstellungen")
    assert 'value="14"' in page.text and 'value="90"' in page.text and 'value="5"' in page.text
    response = _save_settings(client, retention_years="8")
    assert response.status_code == 302
    assert provisioning.get_setting(a, worklist.LETTER_DAYS) == 21
    assert provisioning.get_setting(a, worklist.INTERVIEW_DAYS) == 60
    assert provisioning.get_setting(a, retention.RETENTION_YEARS) == 8
    assert 'value="21"' in client.get("/grenchen/informieren/einstellungen").text


@pytest.mark.parametrize("value", ["0", "366", "-3", "abc", "", "1.5"])
def test_bad_deadlines_are_refused_in_german(client, world, value):
    a, _b, _off = world
    login_as(client, (a, "integration_officer"))
    response = _save_settings(client, interview_deadline_days=value)
    assert response.status_code == 200
    assert "Bitte eine ganze Zahl von 1 bis 365 eingeben." in response.text
    assert provisioning.get_setting(a, worklist.INTERVIEW_DAYS) == 90
    assert provisioning.get_setting(a, worklist.LETTER_DAYS) == 14  # nothing saved half


@pytest.mark.parametrize("value", ["0", "31", "zehn", ""])
def test_a_bad_retention_period_is_refused_in_german(client, world, value):
    a, _b, _off = world
    login_as(client, (a, "tenant_admin"))
    response = _save_settings(client, retention_years=value)
    assert response.status_code == 200 and "Bitte eine ganze Zahl von 1 bis 30 eingeben." in response.text
    assert provisioning.get_setting(a, retention.RETENTION_YEARS) == 5
    assert provisioning.get_setting(a, worklist.LETTER_DAYS) == 14


def test_the_settings_page_is_for_administrators_and_officers(app, world):
    a, _b, _off = world
    for role, status in (("tenant_admin", 200), ("integration_officer", 200), ("residents_services", 403),
                         ("read_only", 403)):
        client = app.test_client()
        login_as(client, (a, role))
        assert client.get("/grenchen/informieren/einstellungen").status_code == status, role


# -- cost -------------------------------------------------------------------------------------------------


def _bulk_persons(tenant, count: int, start: date) -> None:
    rows = [{"tenant_id": tenant.id, "id": uuid.uuid4(), "official_name": f"Name{n:05d}", "first_name": "Vorname",
             "arrival_date": start + timedelta(days=n % 400), "municipality_bfs": 2546, "nationalities": ["DE"],
             "languages": ["de"], "source": "manual", "stage": "new"} for n in range(count)]
    with tenant_scope(tenant):
        db.session.execute(sa.insert(Newcomer), rows)
    db.session.commit()


def _statements_of(client, url) -> int:
    engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
        return len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_start_page_costs_the_same_few_queries_for_many_persons(client, world):
    # Its time for 50,000 persons is measured by `python -m bench informieren`, not here.
    a, _b, _off = world
    login_as(client, (a, "integration_officer"))
    _bulk_persons(a, 20, TODAY - timedelta(days=200))
    _statements_of(client, "/grenchen/informieren/")  # the first request of a session costs more
    few = _statements_of(client, "/grenchen/informieren/")
    _bulk_persons(a, 5_000, TODAY - timedelta(days=300))
    assert _statements_of(client, "/grenchen/informieren/") == few

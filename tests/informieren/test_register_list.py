"""The list of newcomers: filters, search, paging, counts; a bad parameter is a 400 that names it, beside the
other filters applied."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.models import Newcomer
from plugins.informieren.register.query import Filters, count, page_of
from tests.conftest import login_as
from tests.informieren.register_support import VN_DIGITS, active_tenant, add_person, text

LIST = "/buchegg/informieren/personen"


@pytest.fixture
def region(ctx):
    return active_tenant("buchegg", [2465, 2455], kind="region")


@pytest.fixture
def reader(client, region):
    login_as(client, (region, "read_only"))
    return client


def names(response) -> list[str]:
    return re.findall(r'/personen/[0-9a-f-]{36}">(?:<bdi>)?([^<]+)', text(response))


@pytest.fixture
def sample(region):
    add_person(region, official_name="Silva", first_name="Ana", municipality_bfs=2465, arrival_date=date(2017, 3, 1),
               nationalities=["PT", "BR"], languages=["pt", "fr"], vn=VN_DIGITS, local_person_id="2465:77")
    add_person(region, official_name="TESFAY", first_name="Yonas", municipality_bfs=2455,
               arrival_date=date(2017, 5, 10), nationalities=["ER"], languages=["ti", "en"], stage="letter_sent")
    add_person(region, official_name="Müller", first_name="Jonas", municipality_bfs=2465,
               arrival_date=date(2016, 12, 24), nationalities=["DE"], languages=["de"], stage="held")
    add_person(region, official_name="Krasniqi", first_name="Arta", municipality_bfs=2455,
               arrival_date=date(2017, 5, 10), nationalities=["XK"], languages=["sq", "de"])
    return region


def test_the_list_shows_everyone_newest_arrival_first_then_by_name(reader, sample):
    response = reader.get(LIST)
    assert response.status_code == 200
    assert names(response) == ["Krasniqi, Arta", "TESFAY, Yonas", "Silva, Ana", "Müller, Jonas"]
    page = text(response)
    assert "4 von 4 Personen" in page and "Portugal, Brasilien" in page and "Tigrinya, Englisch" in page
    assert "Lüterkofen-Ichertswil" in page and "Schreiben versandt" in page and "Neu (2)" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("von=2017-01-01", ["Krasniqi, Arta", "TESFAY, Yonas", "Silva, Ana"]),
    ("von=2017-01-01&bis=2017-03-31", ["Silva, Ana"]),
    ("bis=31.12.2016", ["Müller, Jonas"]),
    ("gemeinde=2455", ["Krasniqi, Arta", "TESFAY, Yonas"]),
    ("land=PT", ["Silva, Ana"]),
    ("land=br", ["Silva, Ana"]),
    ("land=XK", ["Krasniqi, Arta"]),
    ("sprache=de", ["Krasniqi, Arta", "Müller, Jonas"]),
    ("sprache=pt", ["Silva, Ana"]),
    ("stand=held", ["Müller, Jonas"]),
    ("stand=new&gemeinde=2455", ["Krasniqi, Arta"]),
    ("suche=silva", ["Silva, Ana"]),
    ("suche=tesfay", ["TESFAY, Yonas"]),
    ("suche=ONAS", ["TESFAY, Yonas", "Müller, Jonas"]),
    ("suche=yonas+tesfay", ["TESFAY, Yonas"]),
    ("suche=756.9217", ["Silva, Ana"]),
    ("suche=7569217076985", ["Silva, Ana"]),
    ("suche=2465:77", ["Silva, Ana"]),
    ("suche=%25", []),
    ("suche=_", []),
    ("suche=niemand", []),
    ("suche=muller", ["Müller, Jonas"]),  # core's search: any spelling
    ("suche=mueller+jonas", ["Müller, Jonas"]),
])
def test_filters_and_search(reader, sample, query, expected):
    response = reader.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert names(response) == expected
    assert f"{len(expected)} von 4 Personen" in text(response)


def test_a_nationality_filter_matches_whole_codes_only(reader, region):
    add_person(region, official_name="Code", nationalities=["BFS-8999"], languages=["pt"], municipality_bfs=2465)
    assert names(reader.get(f"{LIST}?land=PT")) == []
    assert names(reader.get(f"{LIST}?land=BFS-8999")) == ["Code, Ana"]


@pytest.mark.parametrize(("query", "label"), [
    ("von=gestern", "Zuzug von"), ("bis=2017-02-30", "Zuzug bis"), ("bis=31.02.2017", "Zuzug bis"),
    ("gemeinde=abc", "Gemeinde"), ("land=XY", "Staatsangehörigkeit"), ("land=%22PT%22", "Staatsangehörigkeit"),
    ("sprache=zz", "Sprache"), ("stand=weg", "Stand"),
    ("sortierung=adresse", "Sortierung"), ("sortierung=--name", "Sortierung"),
])
def test_a_bad_parameter_is_a_bad_request_that_says_which(reader, sample, query, label):
    response = reader.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert len(names(response)) == 4  # the rest of the page as without it
    assert 'role="alert"' in text(response) and f"<li>{label}: " in text(response)


@pytest.mark.parametrize("page", ["-1", "abc", "0"])
def test_any_page_number_shows_a_page_with_a_note(reader, sample, page):
    response = reader.get(f"{LIST}?seite={page}")
    assert response.status_code == 200 and len(names(response)) == 4
    assert "<li>Seite: Ungültige Seite; die erste wird gezeigt.</li>" in text(response)


def test_a_good_filter_applies_beside_a_bad_one(reader, sample):
    response = reader.get(f"{LIST}?gemeinde=2455&von=kaputt")
    assert response.status_code == 400
    assert names(response) == ["Krasniqi, Arta", "TESFAY, Yonas"]
    page = text(response)
    assert "Zuzug von: Bitte ein Datum angeben (TT.MM.JJJJ)." in page
    assert 'value="kaputt" placeholder' in page and 'aria-invalid="true"' in page  # kept to be corrected
    assert '<option value="2455" selected>' in page


def test_a_reversed_date_range_is_named_not_answered_with_nobody(reader, sample):
    response = reader.get(f"{LIST}?von=01.06.2017&bis=01.01.2017&gemeinde=2455")
    assert response.status_code == 400
    page = text(response)
    assert "Zuzug bis: Das Enddatum liegt vor dem Anfangsdatum; bitte die Daten tauschen." in page
    assert names(response) == ["Krasniqi, Arta", "TESFAY, Yonas"]  # the commune still applies, the range not
    assert 'value="01.06.2017"' in page and 'value="01.01.2017"' in page
    same_day = reader.get(f"{LIST}?von=10.05.2017&bis=10.05.2017")
    assert same_day.status_code == 200 and names(same_day) == ["Krasniqi, Arta", "TESFAY, Yonas"]


def _many(tenant, how_many: int) -> None:
    with tenant_scope(tenant):
        db.session.add_all(
            Newcomer(official_name=f"Person{i:03d}", first_name="X",
                   arrival_date=date(2017, 1, 1) + timedelta(days=i // 3), municipality_bfs=2465,
                   nationalities=["PT"], languages=["pt"], source="manual", stage="new")
            for i in range(how_many)
        )
        db.session.commit()


def test_paging_fifty_a_page_in_a_stable_order(reader, region):
    _many(region, 120)
    first, second, third = (reader.get(f"{LIST}?seite={page}") for page in (1, 2, 3))
    assert len(names(first)) == 50 and len(names(second)) == 50 and len(names(third)) == 20
    seen = names(first) + names(second) + names(third)
    assert len(set(seen)) == 120
    assert seen[:4] == ["Person117, X", "Person118, X", "Person119, X", "Person114, X"]  # latest day, by name
    assert "Seite 2 von 3" in text(second) and "120 von 120 Personen" in text(second)
    assert 'rel="next" href="/buchegg/informieren/personen?seite=3"' in text(second)
    assert names(reader.get(f"{LIST}?seite=99")) == names(third)  # beyond the end: the last page


def test_paging_keeps_the_filters(reader, region):
    _many(region, 60)
    response = reader.get(f"{LIST}?land=PT&seite=1")
    assert "seite=2" in text(response) and "land=PT" in re.search(r'rel="next" href="([^"]+)"', text(response))[1]


def test_the_query_orders_ties_by_name_then_id(region):
    _many(region, 9)
    with tenant_scope(region):
        ordered = [p.official_name for p in page_of(Filters(), 1)]
        assert ordered == ["Person006", "Person007", "Person008", "Person003", "Person004", "Person005",
                           "Person000", "Person001", "Person002"]
        assert count(Filters(nationality="PT", language="pt")) == 9


def test_another_tenants_persons_are_not_listed(client, sample):
    other = active_tenant("grenchen", [2546])
    add_person(other, official_name="Fremd")
    login_as(client, (other, "read_only"))
    assert names(client.get("/grenchen/informieren/personen")) == ["Fremd, Ana"]
    assert names(client.get("/grenchen/informieren/personen?suche=silva")) == []

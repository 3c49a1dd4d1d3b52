"""The newcomer list's sortable columns (names in the Swiss order) and its export as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core import modules
from core.access import set_grant
from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as
from tests.informieren import test_register_list
from tests.informieren.register_support import active_tenant, add_person, text
from tests.test_formula_injection import LEAK, assert_no_formula

LIST = test_register_list.LIST
XLSX = f"{LIST}/liste.xlsx"
CSV = f"{LIST}/liste.csv"
SWISS = ["Bärtschi", "Brunner", "Çelik", "Dönmez", "Dsouza", "Oesch", "Özdemir", "Zürcher"]


# The list's tenant (a region of two communes), a reader and the names the list shows, as its other tests have them.
region, reader, names = test_register_list.region, test_register_list.reader, test_register_list.names


@pytest.fixture
def crowd(region):
    """Eight persons, entered in an order that is neither the Swiss nor the byte order."""
    for number, name in enumerate(["Zürcher", "Özdemir", "Dsouza", "Çelik", "Brunner", "Oesch", "Dönmez", "Bärtschi"]):
        add_person(region, official_name=name, first_name="Ana", arrival_date=date(2017, 1 + number, 1),
                   municipality_bfs=2455 if number % 2 else 2465, date_of_birth=f"{1980 + number}-05-01",
                   stage="held" if name == "Oesch" else "new", permit_category="B" if number < 4 else "L")
    return region


def surnames(response) -> list[str]:
    return [name.split(",")[0] for name in names(response)]


def test_the_default_order_is_the_newest_arrival_first_and_says_so(reader, crowd):
    response = reader.get(LIST)
    assert response.status_code == 200
    assert surnames(response)[0] == "Bärtschi"  # arrived in August
    page = text(response)
    assert re.search(r'<th aria-sort="descending"><a href="[^"]*sortierung=zuzug">Zuzug', page)
    assert page.count("aria-sort=") == 1
    assert '<option value="-zuzug" selected>Zuzug: neueste zuerst</option>' in page


def test_names_sort_the_swiss_way_both_ways(reader, crowd):
    ascending = reader.get(f"{LIST}?sortierung=name")
    assert surnames(ascending) == SWISS  # Bärtschi before Brunner, Dönmez before Dsouza, Özdemir after Oesch
    assert '<th aria-sort="ascending"><a href="/buchegg/informieren/personen?sortierung=-name">Name' in text(ascending)
    descending = reader.get(f"{LIST}?sortierung=-name")
    assert surnames(descending) == SWISS[::-1]
    assert 'aria-sort="descending"' in text(descending)


def test_the_other_columns_sort_with_names_breaking_ties(reader, crowd):
    by_commune = surnames(reader.get(f"{LIST}?sortierung=gemeinde"))
    # Buchegg (2465) before Lüterkofen-Ichertswil (2455), each in Swiss order of the names
    assert by_commune == ["Brunner", "Dönmez", "Dsouza", "Zürcher", "Bärtschi", "Çelik", "Oesch", "Özdemir"]
    assert surnames(reader.get(f"{LIST}?sortierung=geburt"))[0] == "Zürcher"
    assert surnames(reader.get(f"{LIST}?sortierung=-geburt"))[0] == "Bärtschi"
    assert surnames(reader.get(f"{LIST}?sortierung=stand"))[-1] == "Oesch"  # the interview held: furthest on
    assert surnames(reader.get(f"{LIST}?sortierung=bewilligung")) == [
        "Çelik", "Dsouza", "Özdemir", "Zürcher", "Bärtschi", "Brunner", "Dönmez", "Oesch"]


def test_sorting_keeps_the_filters_and_paging_keeps_the_order(reader, crowd):
    response = reader.get(f"{LIST}?gemeinde=2465&sortierung=name")
    assert surnames(response) == ["Brunner", "Dönmez", "Dsouza", "Zürcher"]
    header = re.search(r'<th><a href="([^"]+)">Zuzug', text(response))[1]
    assert "gemeinde=2465" in header and "sortierung=-zuzug" in header and "seite" not in header


def test_the_export_has_the_filtered_list_in_its_order(reader, crowd):
    add_person(crowd, official_name=LEAK, first_name="-1+1", arrival_date=date(2016, 1, 1), municipality_bfs=2465)
    response = reader.get(f"{CSV}?gemeinde=2465&sortierung=name")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="neuzuzuege-buchegg.csv"' in response.headers["Content-Disposition"]
    content = response.get_data()
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Name", "Vorname", "Geburtsdatum"]
    assert [row[0] for row in rows[1:]] == ["'" + LEAK, "Brunner", "Dönmez", "Dsouza", "Zürcher"]
    assert rows[2][2] == "01.05.1984" and rows[2][5] == "01.05.2017" and rows[1][1] == "'-1+1"  # punctuation first

    workbook = reader.get(f"{XLSX}?gemeinde=2465&sortierung=name")
    assert workbook.status_code == 200
    assert_no_formula(workbook.get_data(), LEAK, "-1+1")
    sheet = load_workbook(io.BytesIO(workbook.get_data())).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [LEAK, "Brunner", "Dönmez", "Dsouza", "Zürcher"]
    arrival = sheet.cell(3, 6)
    assert arrival.is_date and arrival.value.date() == date(2017, 5, 1) and arrival.number_format == "DD.MM.YYYY"


def test_an_export_is_audited(reader, crowd):
    reader.get(f"{XLSX}?stand=held")
    with tenant_scope(crowd):
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "informieren.newcomers.export")).one()
    assert event.detail == {"format": "xlsx", "count": 1, "filters": {"stage": "held"}, "sort": "-zuzug"}


def test_an_export_with_a_bad_parameter_goes_to_the_list_that_names_it(reader, crowd):
    response = reader.get(f"{CSV}?von=31.02.2017&gemeinde=2465")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LIST}?von=31.02.2017&gemeinde=2465"
    assert reader.get(f"{LIST}/liste.pdf").status_code == 302  # an unknown format: the list


def test_the_export_needs_what_the_list_needs(client, crowd, app):
    assert (app.view_functions["informieren.persons_export"].required_permission
            == app.view_functions["informieren.persons"].required_permission == "informieren.newcomers.read")
    set_grant(crowd, "read_only", "informieren.newcomers.read", False)
    db.session.commit()
    login_as(client, (crowd, "read_only"))
    assert client.get(LIST).status_code == 403
    assert client.get(CSV).status_code == 403


def test_another_tenant_cannot_export_and_sees_only_its_own(client, crowd):
    other = active_tenant("grenchen", [2546])
    add_person(other, official_name="Fremd")
    login_as(client, (other, "read_only"))
    assert client.get(CSV).status_code == 404
    own = client.get("/grenchen/informieren/personen/liste.csv").get_data().decode("utf-8-sig")
    assert "Fremd" in own and "Zürcher" not in own


def test_no_export_where_informieren_is_off(reader, crowd):
    modules.suspend(crowd, "informieren")
    db.session.commit()
    assert reader.get(CSV).status_code == 404

"""Typed duplicates (issue 15): the newcomer form asks before saving a person the tenant may have already,
and an import flags the new persons who resemble known ones."""

from __future__ import annotations

import re

import sqlalchemy as sa

from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.imports import csv_files as import_csv
from plugins.informieren.imports.pipeline import Importer
from plugins.informieren.imports.runs import import_csv_file, new_run
from plugins.informieren.models import ImportItem, Newcomer
from tests.conftest import login_as
from tests.informieren.import_helpers import fresh_run, vn
from tests.informieren.register_support import add_person, hidden, post_form, text, valid_form

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world: Grenchen and Balsthal

NEW = "/grenchen/informieren/personen/neu"
JONAS = {"official_name": "Müller", "first_name": "Jonas", "date_of_birth": "14.02.1992", "local_person_id": "",
         "vn": "", "nationalities": ["DE"], "languages": "de"}


def names(tenant) -> list[str]:
    with tenant_scope(tenant):
        return sorted(p.full_name for p in db.session.scalars(sa.select(Newcomer)
                                                               .execution_options(populate_existing=True)))


def clerk(app, tenant):
    client = app.test_client()
    login_as(client, (tenant, "residents_services"))
    return client


def test_the_form_warns_of_a_typed_duplicate_and_saves_only_when_confirmed(world, app):
    grenchen, _balsthal = world
    first = add_person(grenchen, official_name="Müller", first_name="Jonas", date_of_birth="1992-02-14")
    client = clerk(app, grenchen)
    page = client.get(NEW).text
    # Typed the Swiss way, without umlaut: the same person for the warning.
    warned = post_form(client, NEW, valid_form(**{**JONAS, "official_name": "Mueller"}), page=page)
    body = text(warned)
    assert warned.status_code == 200 and "Es gibt bereits eine Person mit diesem Namen und Geburtsdatum" in body
    assert f'/grenchen/personen/{first.id}"' in body and names(grenchen) == ["Jonas Müller"]
    # Nothing typed is lost: the form comes back with every value.
    assert 'value="Mueller"' in body and 'value="14.02.1992"' in body and 'value="Bahnhofstrasse"' in body
    confirmation = hidden(body, "duplicates_confirmed")
    assert confirmation == str(first.id)
    saved = post_form(client, NEW, valid_form(**{**JONAS, "official_name": "Mueller"},
                                              duplicates_confirmed=confirmation), page=body)
    assert saved.status_code == 302 and names(grenchen) == ["Jonas Mueller", "Jonas Müller"]
    # The same form posted again (a double click): no second person, no second warning.
    again = post_form(client, NEW, valid_form(**{**JONAS, "official_name": "Mueller"},
                                              duplicates_confirmed=confirmation), page=body)
    assert again.status_code == 302 and len(names(grenchen)) == 2


def test_a_tampered_or_stale_confirmation_asks_again(world, app):
    grenchen, _balsthal = world
    first = add_person(grenchen, official_name="Müller", first_name="Jonas", date_of_birth="1992-02-14")
    client = clerk(app, grenchen)
    page = client.get(NEW).text
    for forged in ("1", "ja", "00000000-0000-0000-0000-000000000000", f"{first.id}x", ""):
        response = post_form(client, NEW, valid_form(**JONAS, duplicates_confirmed=forged), page=page)
        assert response.status_code == 200 and "Es gibt bereits" in text(response), forged
    assert names(grenchen) == ["Jonas Müller"]
    # Confirmed for one person, but a second one with the same name came in meanwhile: asked again.
    second = add_person(grenchen, official_name="Muller", first_name="Jonas", date_of_birth="1992-02")
    response = post_form(client, NEW, valid_form(**JONAS, duplicates_confirmed=str(first.id)), page=page)
    body = text(response)
    assert "Es gibt bereits 2 Personen" in body and str(second.id) in body and len(names(grenchen)) == 2


def test_no_warning_for_other_people_and_field_errors_come_first(world, app):
    grenchen, _balsthal = world
    add_person(grenchen, official_name="Müller", first_name="Jonas", date_of_birth="1992-02-14")
    client = clerk(app, grenchen)
    # Another birthday: no warning.
    saved = post_form(client, NEW, valid_form(**{**JONAS, "date_of_birth": "15.02.1992"}))
    assert saved.status_code == 302
    # Invalid data: the field errors, not the warning.
    refused = post_form(client, NEW, valid_form(**{**JONAS, "arrival_date": ""}))
    assert refused.status_code == 200 and "Es gibt bereits" not in text(refused) and len(names(grenchen)) == 2


def test_another_tenants_person_is_never_suggested(world, app):
    grenchen, balsthal = world
    stranger = add_person(balsthal, official_name="Müller", first_name="Jonas", date_of_birth="1992-02-14",
                          municipality_bfs=2422)
    client = clerk(app, grenchen)
    saved = post_form(client, NEW, valid_form(**JONAS))
    assert saved.status_code == 302 and names(grenchen) == ["Jonas Müller"]
    # Even a confirmation naming the other tenant's person does not reveal or link it.
    add_person(grenchen, official_name="Müller", first_name="Jonas", date_of_birth="1992-02-14")
    warned = post_form(client, NEW, valid_form(**JONAS, duplicates_confirmed=str(stranger.id)))
    assert "Es gibt bereits 2 Personen" in text(warned) and str(stranger.id) not in text(warned)


# -- imports --------------------------------------------------------------------------------------------

HEADER = "Personen-ID;AHV-Nummer;Name;Vorname;Geburtsdatum;Staatsangehörigkeit;Zuzugsdatum;BFS-Nr;Herkunftsland"


def import_rows(tenant, *rows: str):
    data = ("\r\n".join([HEADER, *rows]) + "\r\n").encode()
    run = new_run(tenant, "csv", "liste.csv")
    importer = Importer(tenant, run, since=import_csv.parse_date("01.01.2017"), source="csv")
    import_csv_file(importer, "liste.csv", data, import_csv.propose(import_csv.read(data).header))
    importer.finish()
    return fresh_run(tenant, run.id)


def flagged(tenant, run) -> list[ImportItem]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == run.id,
                                                              ImportItem.outcome == "duplicate")).all()


def test_an_import_flags_new_persons_who_resemble_known_ones(world, app):
    grenchen, balsthal = world
    typed = add_person(grenchen, official_name="Müller", first_name="Jonas", date_of_birth="1992-02-14")
    add_person(balsthal, official_name="Kaya", first_name="Elif", date_of_birth="1988", municipality_bfs=2422)
    run = import_rows(grenchen,
                      f"2001;{vn(21)};Mueller;Jonas;14.02.1992;DE;01.03.2017;2546;DE",  # the typed one
                      f"2002;{vn(22)};Kaya;Elif;01.05.1988;TR;01.03.2017;2546;TR",  # only Balsthal has her
                      f"2003;{vn(23)};Silva;Ana;1985;PT;01.03.2017;2546;PT",
                      f"2004;{vn(24)};Silva;Ana;03.1985;PT;02.03.2017;2546;PT")  # twice in the same file
    assert run.counts["created"] == 4 and run.counts["possible_duplicates"] == 2
    items = sorted(flagged(grenchen, run), key=lambda item: item.position)
    assert [item.detail["official_name"] for item in items] == ["Mueller", "Silva"]
    assert items[0].detail["matches"] == [str(typed.id)] and "bitte prüfen" in items[0].reason
    with tenant_scope(grenchen):
        ana = db.session.scalar(sa.select(Newcomer).where(Newcomer.local_person_id == "2003"))
    assert items[1].detail["matches"] == [str(ana.id)]
    # The result page names both and links them; the import page's counts say how many.
    client = clerk(app, grenchen)
    page = text(client.get(f"/grenchen/informieren/importe/{run.id}"))
    assert "möglicherweise doppelt" in page and f"/grenchen/personen/{typed.id}" in page
    assert re.search(r'data-count="possible_duplicates">2<', page)
    assert client.get(f"/balsthal/informieren/importe/{run.id}").status_code == 404
    # The registry sends the same persons again: matched on their ids, nothing new, nothing flagged.
    again = import_rows(grenchen, f"2001;{vn(21)};Mueller;Jonas;14.02.1992;DE;01.03.2017;2546;DE")
    assert again.counts["unchanged"] == 1 and again.counts["possible_duplicates"] == 0

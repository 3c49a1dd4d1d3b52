"""Names sort the Swiss way (Unicode collation, pyuca): Bärschwil before Breitenbach, Dänemark before Dschibuti,
in the commune pickers, the rollout's filters, the country filters and the lists of persons."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import clock, i18n, provisioning
from core.db import db
from core.module_matrix import build_matrix, districts
from core.people.models import Person
from core.tenancy import served_municipalities, tenant_scope
from tests.conftest import login_as, make_tenant


def test_the_swiss_order_of_names():
    names = ["Zuchwil", "Breitenbach", "Oensingen", "Bärschwil", "Österreich", "Dschibuti", "Dänemark",
             "Äthiopien", "Afghanistan", "ägypten", "Büsserach", "Buchegg"]
    shuffled = random.Random(15).sample(names, len(names))
    assert i18n.sorted_by_name(shuffled) == ["Afghanistan", "ägypten", "Äthiopien", "Bärschwil", "Breitenbach",
                                             "Buchegg", "Büsserach", "Dänemark", "Dschibuti", "Oensingen",
                                             "Österreich", "Zuchwil"]
    assert i18n.sorted_by_name([("b", "Müller"), ("a", "Muller")], lambda pair: pair[1])[0] == ("a", "Muller")
    assert i18n.sorted_by_name(["Dänemark", "Dschibuti"], reverse=True) == ["Dschibuti", "Dänemark"]
    assert i18n.sorted_by_name([None, "A"], lambda name: name) == [None, "A"]  # no name first, not an error


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=8))
def test_the_stored_key_sorts_as_the_names_do(names):
    by_text = sorted(names, key=lambda pair: i18n.sort_text(*pair))
    by_key = sorted(names, key=lambda pair: i18n.sort_key(", ".join(name for name in pair if name)))
    assert [i18n.sort_key(", ".join(n for n in pair if n)) for pair in by_text] == \
           [i18n.sort_key(", ".join(n for n in pair if n)) for pair in by_key]


def test_a_long_name_is_cut_to_the_column():
    assert len(i18n.sort_text("Wolfeschlegelsteinhausenbergerdorff" * 5, "Hubert")) == i18n.SORT_TEXT_LENGTH


def test_countries_in_each_language(app):
    for region, before, after in (("de_CH", "Dänemark", "Dschibuti"), ("fr_CH", "Égypte", "Équateur"),
                                  ("it_CH", "Città del Vaticano", "Colombia")):
        with app.test_request_context(), _locale(region):
            names = list(i18n.countries().values())
            assert names.index(before) < names.index(after), region
    with app.test_request_context(), _locale("de_CH"):
        names = list(i18n.countries().values())
        assert names.index("Österreich") < names.index("Pakistan") and names.index("Äthiopien") < names.index("Belgien")


def _locale(region):
    from flask_babel import force_locale

    return force_locale(region)


def test_commune_pickers_and_the_rollout_filters(ctx):
    make_tenant("kanton", kind="canton")
    region = provisioning.create_tenant("thierstein", "Thierstein", "region", [2613, 2611, 2614],
                                        valid_from=date(2017, 1, 1))
    db.session.commit()
    assert [m.name for m in served_municipalities(region, clock.today())] == ["Bärschwil", "Breitenbach", "Büsserach"]
    free = [m.name for m in provisioning.free_municipalities(clock.today())]
    assert free == i18n.sorted_by_name(free) and "Bärschwil" not in free
    assert districts(clock.today()) == i18n.sorted_by_name(districts(clock.today()))
    matrix = build_matrix(clock.today(), "Thierstein")
    assert [m.name for m in matrix.rows[0].communes] == ["Bärschwil", "Breitenbach", "Büsserach"]
    uncovered = [m.name for m in matrix.uncovered]
    assert uncovered == i18n.sorted_by_name(uncovered)


def test_tenants_sort_the_swiss_way_in_the_rollout(ctx):
    make_tenant("kanton", kind="canton")
    for slug, name in (("oe", "Oensingen"), ("oes", "Ölten-Test"), ("z", "Zuchwil"), ("ae", "Aedermannsdorf")):
        make_tenant(slug, name=name)
    names = [row.tenant.name for row in build_matrix(clock.today()).rows]
    assert names == ["Aedermannsdorf", "Oensingen", "Ölten-Test", "Zuchwil"]


@pytest.fixture
def people_of(ctx):
    tenant = make_tenant("grenchen", communes=[2546])
    with tenant_scope(tenant):
        for official, first in (("Zürcher", "Anna"), ("Dsouza", "Ben"), ("Dönmez", "Cem"), ("Bärtschi", "Dora"),
                                ("Brunner", "Eva"), ("Müller", "Jonas"), ("Muller", "Zoé")):
            db.session.add(Person(official_name=official, first_name=first, municipality_bfs=2546))
        db.session.commit()
    return tenant


def listed(page: str) -> list[str]:
    return re.findall(r'/personen/[0-9a-f-]{36}">(?:<bdi>)?([^<]+)', page)


def test_the_person_search_lists_names_the_swiss_way(client, people_of):
    login_as(client, (people_of, "read_only"))
    page = client.get("/grenchen/personen/").text
    found = listed(page)
    # Accents count only where the letters are the same: Müller, Jonas before Muller, Zoé.
    assert found == ["Bärtschi, Dora", "Brunner, Eva", "Dönmez, Cem", "Dsouza, Ben", "Müller, Jonas", "Muller, Zoé",
                     "Zürcher, Anna"]
    found = listed(client.get("/grenchen/personen/?suche=muller").text)
    assert found == ["Müller, Jonas", "Muller, Zoé"]  # the search ignores the accent


def test_the_search_ignores_accents_and_scripts(client, people_of):
    with tenant_scope(people_of):
        db.session.add(Person(official_name="Коваленко", first_name="Олена", municipality_bfs=2546))
        db.session.commit()
    login_as(client, (people_of, "read_only"))
    for query, expected in (("kovalenko", "Коваленко, Олена"), ("MUELLER", "Müller, Jonas"), ("zurcher", "Zürcher")):
        assert expected in client.get(f"/grenchen/personen/?suche={query}").text


def test_a_changed_name_moves_in_the_order(people_of):
    with tenant_scope(people_of):
        person = db.session.scalars(db.select(Person).where(Person.official_name == "Zürcher")).one()
        person.official_name = "Aebi"
        db.session.commit()
        assert person.sort_name == i18n.sort_text("Aebi", "Anna")

"""The needs overview: open needs no current offer covers, per category and per language, as tables and charts."""

from __future__ import annotations

import re
from datetime import timedelta

from core.tenancy import tenant_scope
from plugins.foerdern import figures
from tests.foerdern.needs_support import TODAY, active_tenant, add_need, add_offer, add_person, text

OVERVIEW = "/grenchen/foerdern/beduerfnisse"


def world(grenchen):
    """A course (German), counselling in German and French, an expired club; four persons' needs."""
    add_offer(grenchen, "language_course")
    add_offer(grenchen, "counselling", ["de", "fr"], title="Beratung")
    add_offer(grenchen, "club", ["ti"], title="Verein", valid_until=TODAY - timedelta(days=1))
    tigrinya, french, unknown = (add_person(grenchen, ["ti", "en"]), add_person(grenchen, ["fr"]),
                                 add_person(grenchen, []))
    add_need(grenchen, tigrinya, "language", "A1")  # a course covers it in any language
    add_need(grenchen, tigrinya, "housing")  # counselling is not in Tigrinya or English
    add_need(grenchen, tigrinya, "social")  # the club has expired
    add_need(grenchen, tigrinya, "work", state="met")  # not open: not counted
    add_need(grenchen, french, "housing")  # counselling in French
    add_need(grenchen, french, "childcare")  # no such offer
    add_need(grenchen, unknown, "health")  # counselling, and the languages are unknown


def test_coverage_counts_the_open_needs_no_current_offer_covers(grenchen):
    world(grenchen)
    with tenant_scope(grenchen):
        found = figures.coverage(TODAY)
        plain = figures.uncovered_needs(TODAY)
    rows = {row.category: (row.open, row.uncovered, row.offers) for row in found.categories}
    assert rows["language"] == (1, 0, 1) and rows["housing"] == (2, 1, 1) and rows["social"] == (1, 1, 0)
    assert rows["childcare"] == (1, 1, 0) and rows["health"] == (1, 0, 1) and rows["work"] == (0, 0, 1)
    assert (found.open, found.uncovered) == (6, 3)
    assert plain["languages"] == {"ti": 2, "fr": 1}
    assert plain["categories"]["housing"] == 1 and sum(plain["categories"].values()) == 3


def test_the_overview_shows_tables_and_charts_with_a_text_alternative(officer, grenchen):
    world(grenchen)
    page = text(officer.get(OVERVIEW))
    assert "6 offene Bedürfnisse, davon 3 ohne passendes aktuelles Angebot" in page
    assert re.search(r"Soziale Kontakte</strong></td>\s*<td[^>]*>1</td>\s*<td[^>]*><strong>1</strong>", page)
    assert page.count('<svg role="img"') == 2 and "<script" not in page
    assert re.search(r"<desc [^>]*>Balkendiagramm, Anzahl je Bereich: Kinderbetreuung: 1; Wohnen: 1; "
                     r"Soziale Kontakte: 1</desc>", page)
    assert re.search(r"<desc [^>]*>Balkendiagramm, Anzahl je Sprache: Tigrinya: 2; Französisch: 1</desc>", page)


def test_a_language_level_is_shown_with_the_uncovered_language_needs(officer, grenchen):
    add_need(grenchen, add_person(grenchen), "language", "alpha")
    page = text(officer.get(OVERVIEW))
    assert "(Alphabetisierung: 1)" in page and "Jedes offene Bedürfnis" not in page


def test_the_overview_counts_only_the_tenants_own_needs(officer, grenchen):
    balsthal = active_tenant("balsthal")
    add_need(balsthal, add_person(balsthal, ["uk"]), "childcare")
    add_need(grenchen, add_person(grenchen, ["ti"]), "health")
    page = text(officer.get(OVERVIEW))
    assert "1 offenes Bedürfnis, davon 1" in page and "Ukrainisch" not in page
    with tenant_scope(balsthal):
        assert figures.uncovered_needs(TODAY)["languages"] == {"uk": 1}


def test_without_needs_the_overview_says_so(officer, grenchen):
    page = text(officer.get(OVERVIEW))
    assert "Jedes offene Bedürfnis hat ein passendes aktuelles Angebot." in page and "<svg" not in page

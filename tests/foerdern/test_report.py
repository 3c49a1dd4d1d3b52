"""Fördern in the reports and the subsidy counts: offers by kind and reach, referrals, uncovered needs, per commune."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader

from core import activity, reports
from core.db import db
from core.reports import Period
from core.tenancy import tenant_scope
from plugins.foerdern import report
from tests.foerdern.needs_support import TODAY, active_tenant, add_need, add_offer, add_person, refer

PERIOD = Period.parse("2017")


def _data(grenchen, balsthal):
    """Grenchen: a current German course, a counselling offer ended in 2016, two referrals, an uncovered need."""
    made = datetime(2016, 1, 4, tzinfo=UTC)  # the clock of these tests stands in 2017
    course = add_offer(grenchen, "language_course", valid_from=date(2017, 1, 1), created_at=made)
    add_offer(grenchen, "counselling", title="Beratung 2016", timing="dates", starts_on=date(2016, 1, 5),
              ends_on=date(2016, 12, 20), created_at=made)
    samrawit = add_person(grenchen)
    amir = add_person(grenchen, languages=("ar",), first_name="Amir")
    with tenant_scope(grenchen):
        amir.municipality_bfs = 2546
        db.session.commit()
    refer(grenchen, samrawit, course, on=date(2017, 3, 1))
    refer(grenchen, amir, course, on=date(2017, 4, 1))
    add_need(grenchen, amir, "housing")  # no counselling offer current: uncovered
    add_offer(balsthal, "health", title="Gesundheitskurs Balsthal")


def test_the_figures_and_activity_of_a_year(today, ctx):
    grenchen, balsthal = active_tenant("grenchen"), active_tenant("balsthal")
    _data(grenchen, balsthal)
    assert report.report_figures(grenchen, PERIOD) == {
        "foerdern.offers_shown": 1, "foerdern.referrals_made": 2, "foerdern.referrals_completed": 0,
        "foerdern.needs_uncovered": 1}
    assert report.report_figures(grenchen, Period.parse("2016"))["foerdern.offers_shown"] == 1  # the 2016 one
    assert report.report_figures(grenchen, Period.parse("2015"))["foerdern.offers_shown"] == 0  # none made yet
    counts = activity.counts(grenchen, PERIOD)
    assert counts["foerdern.referrals_made"] == {2546: 2}
    assert counts["foerdern.offers_run"] == {2546: 1}
    assert activity.counts(balsthal, PERIOD)["foerdern.referrals_made"] == {}  # Grenchen's stay Grenchen's


def test_the_report_sections_show_offers_referrals_and_uncovered_needs(today, ctx):
    grenchen, balsthal = active_tenant("grenchen"), active_tenant("balsthal")
    _data(grenchen, balsthal)
    with tenant_scope(grenchen):
        sections = {section.title: section for section in report.report_sections(grenchen, PERIOD)}
    offers = sections["Fördern: Integrationsangebote"].tables[0]
    assert ["Sprachkurs", 1, 0, 0, 1] in offers.rows and "Gesundheit" not in str(offers.rows)
    states = dict(map(tuple, sections["Fördern: Zuweisungen"].tables[0].rows))
    assert states["vorgeschlagen"] == 2 and states["Total"] == 2
    needs = sections["Fördern: Bedürfnisse ohne passendes Angebot"].tables[0].rows
    assert ["Wohnen", 1, 1, 0] in needs


def test_the_tenant_report_renders_and_the_canton_report_has_the_figures(today, ctx):
    grenchen, balsthal = active_tenant("grenchen"), active_tenant("balsthal")
    _data(grenchen, balsthal)
    rendered = reports.render(reports.tenant_report(grenchen, PERIOD, lambda *args: None), "pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered)).pages)
    assert "Fördern: Zuweisungen" in text and "Wohnen" in text
    canton = reports.canton_report(PERIOD, lambda *args: None)
    table = canton.sections[0].tables[0]
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert rows["Grenchen"]["Zuweisungen zu Angeboten"] == 2
    assert rows["Balsthal"]["Zuweisungen zu Angeboten"] == 0


def test_a_tenant_without_foerdern_reports_nothing_of_it(today, ctx):
    from tests.conftest import make_tenant

    olten = make_tenant("olten", communes=[2581])
    assert "foerdern.referrals_made" not in activity.counts(olten, PERIOD)
    assert TODAY.year == 2017

"""The overviews: the canton's credit per year (sums over the ledger), its chart 2017–2021 and its tenants;
the report sections and key figures; the commune's own claims and payments."""

from __future__ import annotations

import re

from core import reports
from core.db import db
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import decisions, ledger, overview_views, payment_runs, report
from plugins.subventionen.models import CORRECTION
from tests.subventionen import review_world as the

OVERVIEW = "/kanton/subventionen/uebersicht"


def paid_and_committed(tenants):
    """Gemeinde 0: CHF 300'000 approved and paid; Gemeinde 1: CHF 150'000 approved, unpaid."""
    canton, (grenchen, balsthal) = tenants
    for tenant, total in ((grenchen, 30_000_000),):
        _claim, number = the.submitted_claim(tenant, total)
        the.as_canton(decisions.approve, the.submission(number))
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    the.as_canton(payment_runs.mark_executed, run.id)
    _claim, number = the.submitted_claim(balsthal, 15_000_000)
    the.as_canton(decisions.approve, the.submission(number))


def test_the_overview_shows_every_year_as_sums_over_the_ledger(app, tenants):
    paid_and_committed(tenants)
    page = the.text(the.client_as(app, (canton_tenant(), "canton_office")).get(OVERVIEW))
    row_2017 = re.search(r"jahr=2017\">2017</a></td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"CHF [\d'.]+", row_2017) == ["CHF 900'000.00", "CHF 450'000.00", "CHF 300'000.00",
                                                   "CHF 450'000.00"]
    for year in range(2017, 2022):
        assert f">{year}</a>" in page
    assert "Gemeinde 0" in page and "Gemeinde 1" in page and "<svg" in page


def test_the_chart_stacks_paid_unpaid_and_left_within_the_widest_credit(tenants):
    paid_and_committed(tenants)
    with tenant_scope(canton_tenant()):
        bars = overview_views.chart(ledger.year_figures(list(ledger.PROGRAMME_YEARS)))
    first = bars[0]
    assert (first.paid, first.unpaid, first.left) == ("33.3", "16.6", "50.0")
    assert (first.offset_unpaid, first.offset_left) == ("33.3", "50.0")
    assert [b.figures.year for b in bars] == [2017, 2018, 2019, 2020, 2021]
    assert all((b.paid, b.unpaid, b.left) == ("0.0", "0.0", "0.0") for b in bars[1:])


def test_percent_stays_in_integers():
    assert overview_views.percent(1, 3) == "33.3" and overview_views.percent(5, 0) == "0.0"
    assert overview_views.percent(2, 2) == "100.0"


def test_a_year_asked_for_wrongly_is_named_not_fatal(app, tenants):
    response = the.finance(app).get(f"{OVERVIEW}?jahr=zwanzig")
    assert response.status_code == 400 and "«zwanzig» ist kein Jahr" in the.text(response)


def test_the_cantons_report_sections_and_the_tenants_key_figures(tenants):
    canton, (grenchen, balsthal) = tenants
    paid_and_committed(tenants)
    with tenant_scope(canton):
        ledger.book(CORRECTION, 2017, balsthal.id, "SUB-2018-0002", -1_000, "Rundung")
        db.session.commit()
    period = reports.Period.parse("2017")
    [section] = report.report_sections(canton, period)
    per_year, per_tenant = section.tables
    assert per_year.rows == [[2017, "900'000.00", "449'990.00", "300'000.00", "450'010.00"]]
    assert [row[1:] for row in per_tenant.rows] == [["Gemeinde 0", "SUB-2018-0001", "300'000.00", "300'000.00"],
                                                    ["Gemeinde 1", "SUB-2018-0002", "149'990.00", "0.00"]]
    assert section.charts[0].series["genehmigt"] == [449_990]
    assert report.report_figures(grenchen, period) == {"subventionen.committed": 300_000, "subventionen.paid": 300_000}
    assert report.report_figures(balsthal, period) == {"subventionen.committed": 149_990, "subventionen.paid": 0}
    assert report.report_figures(canton, period) == {}
    assert report.report_figures(grenchen, reports.Period.parse("2019")) == {
        "subventionen.committed": 0, "subventionen.paid": 0}


def test_a_communes_report_holds_its_own_bookings_only(tenants):
    _canton, (grenchen, balsthal) = tenants
    paid_and_committed(tenants)
    [section] = report.report_sections(grenchen, reports.Period.parse("2017"))
    [table] = section.tables
    assert [(row[1], row[2], row[4]) for row in table.rows] == [("SUB-2018-0001", "genehmigt", "300'000.00"),
                                                                ("SUB-2018-0001", "ausbezahlt", "300'000.00")]
    assert "SUB-2018-0002" not in str(table.rows)
    assert report.report_sections(balsthal, reports.Period.parse("2019")) == []


def test_the_canton_report_renders_with_the_figures(app, tenants):
    paid_and_committed(tenants)
    period = reports.Period.parse("2017-01-01..2018-12-31")  # the module is active since 2018
    with tenant_scope(canton_tenant()):
        built = reports.canton_report(period, lambda *args: None)
        for fmt in ("xlsx", "csv", "pdf"):
            assert reports.render(built, fmt)
        assert reports.render(reports.tenant_report(canton_tenant(), period, lambda *args: None), "pdf")
    table = built.sections[0].tables[0]
    assert table.columns[-2:] == ["Integrationskredit: genehmigt (CHF, gerundet)",
                                  "Integrationskredit: ausbezahlt (CHF, gerundet)"]
    assert [row[-2:] for row in table.rows] == [[300_000, 300_000], [150_000, 0]]

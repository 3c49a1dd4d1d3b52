"""The integration credit in the reports: the canton's years and tenants, a commune's own bookings.

Every number is a sum over the ledger, by the credit's year: a report of a period covers the credit
years it touches.  The tables show francs to the Rappen; the key figures of the canton report (one row
per tenant) are whole francs, rounded, since they are summed and charted there.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.db import db
from core.money import format_chf
from core.plugins import Figure
from core.reports import Chart, Section, Table
from core.tenancy import Tenant, tenant_scope
from plugins.subventionen import ledger

COMMITTED = Figure("subventionen.committed", _l("Integrationskredit: genehmigt (CHF, gerundet)"))
PAID = Figure("subventionen.paid", _l("Integrationskredit: ausbezahlt (CHF, gerundet)"))
FIGURES = (COMMITTED, PAID)


def years_of(period) -> list[int]:
    return list(range(period.start.year, period.end.year + 1))


def francs(rappen: int) -> int:
    """Whole francs, half up (a report's key figure; the Rappen are in the tables)."""
    return (rappen + 50) // 100


def money(rappen: int | None) -> str:
    return "–" if rappen is None else format_chf(rappen, symbol=False)


def report_figures(tenant, period) -> dict:
    """The tenant's commitments and payments of the period's credit years (its own ledger entries)."""
    if tenant.is_canton:
        return {}
    with tenant_scope(tenant):
        balances = [b for year in years_of(period) for b in ledger.claim_balances(year)
                    if b.claimant_tenant_id == tenant.id]
    return {COMMITTED.key: francs(sum(b.committed for b in balances)), PAID.key: francs(sum(b.paid for b in balances))}


def report_sections(tenant, period) -> list:
    with tenant_scope(tenant):
        return _canton_sections(period) if tenant.is_canton else _commune_sections(tenant, period)


def _canton_sections(period) -> list:
    years = ledger.year_figures(years_of(period))
    per_year = Table(_("Integrationskredit je Jahr (CHF)"),
                     [_("Jahr"), _("Kredit"), _("genehmigt"), _("ausbezahlt"), _("übrig")],
                     [[y.year, money(y.credit), money(y.committed), money(y.paid), money(y.left)] for y in years])
    names = dict(db.session.execute(sa.select(Tenant.id, Tenant.name)).all())
    tenants = Table(_("Je Mandant (CHF)"), [_("Jahr"), _("Mandant"), _("Abrechnung"), _("genehmigt"), _("ausbezahlt")],
                    [[year, names.get(b.claimant_tenant_id, b.claimant_tenant_id), b.number, money(b.committed),
                      money(b.paid)]
                     for year in years_of(period)
                     for b in sorted(ledger.per_tenant(year).values(),
                                     key=lambda b: names.get(b.claimant_tenant_id, ""))])
    chart = Chart(_("Integrationskredit (CHF)"), [str(y.year) for y in years],
                  {_("Kredit"): [francs(y.credit or 0) for y in years],
                   _("genehmigt"): [francs(y.committed) for y in years],
                   _("ausbezahlt"): [francs(y.paid) for y in years]})
    return [Section(_("Integrationskredit"), [per_year, tenants], [chart])]


def _commune_sections(tenant, period) -> list:
    rows = [[e.year, e.claim_number, str(ledger.ENTRY_LABELS[e.kind]), e.booked_on, money(e.amount)]
            for year in years_of(period) for e in ledger.entries(year) if e.claimant_tenant_id == tenant.id]
    if not rows:
        return []
    return [Section(_("Integrationskredit"), [Table(_("Buchungen des Kantons für %(tenant)s", tenant=tenant.name),
                                                    [_("Jahr"), _("Abrechnung"), _("Buchung"), _("Datum"),
                                                     _("Betrag (CHF)")], rows)])]

"""The overviews: the canton's credit per year, its chart and its tenants; a commune's claims and payments.

``/<canton>/subventionen/uebersicht?jahr=2017`` (OVERVIEW: finance, canton administrators, the canton's
office): every figure a sum over the ledger.  ``/<commune>/subventionen/zahlungen`` (CLAIMS_READ): the
commune's own claims with their state and its own ledger entries (read through ``SharedReads``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, render_template
from flask_babel import lazy_gettext as _l

from core.access import requires
from core.db import db
from core.plugins import MenuEntry
from core.tenancy import Tenant
from plugins.subventionen import ledger
from plugins.subventionen.access import CLAIMS_READ, OVERVIEW
from plugins.subventionen.models import APPROVED, DRAFT, PAYMENT, RETURNED, SUBMITTED, WITHDRAWN, Claim
from plugins.subventionen.pages import blueprint, chosen_year

# The commune's payments are linked from its claims (one menu entry per module in a commune's menu).
MENU = (MenuEntry(_l("Übersicht"), "subventionen.overview", OVERVIEW, group=_l("Integrationskredit")),)
CLAIM_STATE_LABELS = {DRAFT: _l("in Vorbereitung"), SUBMITTED: _l("beim Kanton"), RETURNED: _l("zurückgewiesen"),
                      APPROVED: _l("genehmigt"), WITHDRAWN: _l("zurückgezogen")}
PAID_LABEL = _l("ausbezahlt")


# -- the chart -----------------------------------------------------------------------------------------


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` in percent with one decimal, as text for SVG (integers only, no float)."""
    tenths = part * 1000 // whole if whole > 0 else 0
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class Bar:
    figures: ledger.YearFigures
    paid: str  # widths in percent of the widest credit
    unpaid: str
    left: str
    offset_unpaid: str
    offset_left: str


def chart(years: list[ledger.YearFigures]) -> list[Bar]:
    """A stacked bar per year: paid, committed but unpaid, left; scaled to the largest credit (or commitment)."""
    scale = max([max(y.credit or 0, y.committed) for y in years] + [1])
    bars = []
    for y in years:
        left = max(0, y.left)
        bars.append(Bar(y, percent(y.paid, scale), percent(y.unpaid, scale), percent(left, scale),
                        percent(y.paid, scale), percent(y.paid + y.unpaid, scale)))
    return bars


# -- the canton ------------------------------------------------------------------------------------------


@blueprint.get("/uebersicht", endpoint="overview")
@requires(OVERVIEW)
def overview():
    year, error = chosen_year()
    years = ledger.year_figures(ledger.years_shown())
    tenants = ledger.per_tenant(year)
    names = {t.id: t for t in db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(set(tenants))))}
    rows = sorted(tenants.values(), key=lambda b: names[b.claimant_tenant_id].name)
    shown = next(y for y in years if y.year == year) if year in {y.year for y in years} else \
        ledger.year_figures([year])[0]
    return render_template("subventionen/overview.html", year=year, years=years, bars=chart(years), rows=rows,
                           names=names, shown=shown, error=error), 400 if error else 200


# -- the commune ---------------------------------------------------------------------------------------


@blueprint.get("/zahlungen", endpoint="payments")
@requires(CLAIMS_READ)
def payments():
    claims = db.session.scalars(sa.select(Claim).order_by(Claim.year.desc(), Claim.created_at.desc())).all()
    entries = [e for e in ledger.entries() if e.claimant_tenant_id == g.tenant.id]
    paid = {e.claim_number for e in entries if e.kind == PAYMENT}
    return render_template("subventionen/payments.html", claims=claims, entries=entries, paid=paid,
                           state_labels=CLAIM_STATE_LABELS, paid_label=PAID_LABEL,
                           entry_labels=ledger.ENTRY_LABELS)

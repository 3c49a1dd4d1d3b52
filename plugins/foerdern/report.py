"""Fördern in the reports and the subsidies: the report's sections, the canton's key figures, activity counts.

Each hook counts in the tenant's own scope, whoever calls it (a report, the subsidy module, a test).
The offers are the ones the tenant showed in the period (its own, regional, cantonal: the published
projection); the referrals and needs are counted by ``figures``.
"""

from __future__ import annotations

from collections import Counter

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock, i18n
from core.db import current_scope
from core.plugins import Figure
from core.reports import Chart, Section, Table
from core.tenancy import served_municipalities, tenant_scope
from plugins.foerdern import figures, needs, offers, published, referrals
from plugins.foerdern.needs_models import COMPLETED, DROPPED_OUT

OFFERS_SHOWN = Figure("foerdern.offers_shown", _l("Integrationsangebote gezeigt (eigene, regionale, kantonale)"))
OFFERS_RUN = Figure("foerdern.offers_run", _l("Eigene Integrationsangebote durchgeführt"))
REFERRALS_MADE = Figure("foerdern.referrals_made", _l("Zuweisungen zu Angeboten"))
REFERRALS_COMPLETED = Figure("foerdern.referrals_completed", _l("Zuweisungen abgeschlossen"))
NEEDS_UNCOVERED = Figure("foerdern.needs_uncovered", _l("Offene Bedürfnisse ohne passendes Angebot"))
REACHES = ("own", "regional", "cantonal")


def offers_shown(period) -> list:
    """The offers the tenant showed at some time in the period: its own and those shared with it."""
    return [row for row in published.every_offer() if published.runs_in(row, period.start, period.end)]


def offers_run(period) -> list:
    """The tenant's own offers (own or regional, not another's) that ran in the period."""
    me = current_scope().tenant_id
    return [row for row in offers_shown(period) if row.tenant_id == me]


def _coverage_day(period):
    return min(period.end, clock.today())  # needs are known as they are now, not as they were


# -- hooks -------------------------------------------------------------------------------------------


def activity_counts(tenant, period) -> dict:
    """Referrals made (per commune of the person) and own offers run (per commune of the offer) in the period.

    An offer without a commune, or in a commune the tenant does not serve, counts for the first
    commune the tenant served at the period's end.
    """
    with tenant_scope(tenant):
        served = [m.bfs_number for m in served_municipalities(tenant, period.end)]
        run = Counter()
        for row in offers_run(period):
            bfs = row.document["place"]["municipality_bfs"]
            if served:
                run[bfs if bfs in served else served[0]] += 1
        return {REFERRALS_MADE.key: figures.referrals_made_by_commune(period), OFFERS_RUN.key: dict(run)}


def report_figures(tenant, period) -> dict:
    with tenant_scope(tenant):
        return {
            OFFERS_SHOWN.key: len(offers_shown(period)),
            REFERRALS_MADE.key: figures.referrals_made(period),
            REFERRALS_COMPLETED.key: figures.outcomes(period)[COMPLETED],
            NEEDS_UNCOVERED.key: figures.coverage(_coverage_day(period)).uncovered,
        }


def report_sections(tenant, period) -> list:
    with tenant_scope(tenant):
        return [_offers_section(period), _referrals_section(period), _needs_section(period)]


# -- sections -------------------------------------------------------------------------------------------


def _reach_label(reach: str) -> str:
    return {"own": _("eigene"), "regional": _("regionale"), "cantonal": _("kantonale")}[reach]


def _offers_section(period) -> Section:
    language = i18n.language()
    shown = offers_shown(period)
    counts = Counter((offers.shared_kind_label(row, language), row.reach) for row in shown)
    kinds = sorted({kind for kind, _reach in counts}, key=str.casefold)
    rows = [[kind, *(counts[(kind, reach)] for reach in REACHES), sum(counts[(kind, r)] for r in REACHES)]
            for kind in kinds]
    totals = [sum(counts[(kind, reach)] for kind in kinds) for reach in REACHES]
    columns = [_("Art"), *(_reach_label(reach) for reach in REACHES), _("Total")]
    return Section(_("Fördern: Integrationsangebote"), [
        Table(_("Angebote, die im Zeitraum gezeigt wurden, nach Art und Reichweite"), columns,
              [*rows, [_("Total"), *totals, len(shown)]]),
    ], [Chart(_("Angebote nach Art"), kinds, {_reach_label(reach): [counts[(kind, reach)] for kind in kinds]
                                               for reach in REACHES})] if kinds else [])


def _referrals_section(period) -> Section:
    made = figures.referrals_made(period)
    by_state = figures.referrals_by_state(period)
    ended = figures.outcomes(period)
    rate = figures.completion_rate(period)
    states = [[str(label), by_state.get(state, 0)] for state, label in referrals.STATE_LABELS.items()]
    return Section(_("Fördern: Zuweisungen"), [
        Table(_("Zuweisungen im Zeitraum, nach ihrem heutigen Stand"), [_("Stand"), _("Zuweisungen")],
              [*states, [_("Total"), made]]),
        Table(_("Ergebnisse im Zeitraum"), [_("Ergebnis"), _("Anzahl")], [
            [str(referrals.STATE_LABELS[COMPLETED]), ended[COMPLETED]],
            [str(referrals.STATE_LABELS[DROPPED_OUT]), ended[DROPPED_OUT]],
            [_("Abschlussquote"), "–" if rate is None else f"{rate:.0%}"],
        ]),
    ])


def _needs_section(period) -> Section:
    found = figures.coverage(_coverage_day(period))
    labels = [str(needs.CATEGORY_LABELS[row.category]) for row in found.categories]
    return Section(_("Fördern: Bedürfnisse ohne passendes Angebot"), [
        Table(_("Offene Bedürfnisse am %(day)s, nach Bereich", day=format_date(found.day, "medium")),
              [_("Bereich"), _("offen"), _("ohne passendes Angebot"), _("passende Angebote")],
              [[label, row.open, row.uncovered, row.offers] for label, row in zip(labels, found.categories,
                                                                                  strict=True)]),
        Table(_("Ohne passendes Angebot, nach Sprache der Person (die am besten gelesene)"),
              [_("Sprache"), _("Bedürfnisse")],
              [[i18n.language_name(code) if code else _("unbekannt"), total]
               for code, _counts, total in found.language_rows()]),
    ], [Chart(_("Offene Bedürfnisse nach Bereich"), labels,
              {_("ohne passendes Angebot"): [row.uncovered for row in found.categories],
               _("mit passendem Angebot"): [row.open - row.uncovered for row in found.categories]})])

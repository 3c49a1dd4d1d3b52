"""Fordern in the reports and the subsidy counts: anonymous figures only.

No section names a person. Counts of cases are small and the people behind them easy to guess:
every count from 1 to ``SMALL - 1`` is shown as "<5", in the tenant's report and the canton's
(``Figure.suppress_below``). Activity for the subsidies: integration interviews held, per commune
of the person (the transition into ``interview_held``, on its day).
"""

from __future__ import annotations

import statistics
from collections import Counter

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.db import db
from core.people import Person
from core.plugins import Figure
from core.reports import Section, Table
from core.tenancy import tenant_scope
from plugins.fordern import states
from plugins.fordern.models import Case, CaseEvent

SMALL = 5
CASES_OPENED = Figure("fordern.cases_opened", _l("Fordern: Fälle eröffnet"), suppress_below=SMALL)
CASES_ESCALATED = Figure("fordern.cases_escalated", _l("Fordern: Fälle an den Kanton übergeben"),
                         suppress_below=SMALL)
INTERVIEWS_HELD = Figure("fordern.interviews_held", _l("Integrationsgespräche geführt"), suppress_below=SMALL)


def small(value: int):
    """A count as an anonymous report shows it."""
    return f"<{SMALL}" if 0 < value < SMALL else value


def _in(column, period):
    return column.between(period.start, period.end)


def _entered(state: str, period) -> int:
    """How many transitions into ``state`` lie in the period."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)
                             .where(CaseEvent.to_state == state, _in(CaseEvent.on, period))) or 0


def outcomes(period) -> Counter:
    return Counter(dict(db.session.execute(
        sa.select(Case.outcome, sa.func.count()).where(Case.state == states.CLOSED, _in(Case.closed_on, period))
        .group_by(Case.outcome)).all()))


def durations(period) -> list[int]:
    """Days from opening to closing of the cases closed in the period."""
    return [(closed - opened).days for opened, closed in db.session.execute(
        sa.select(Case.opened_on, Case.closed_on).where(Case.state == states.CLOSED, _in(Case.closed_on, period)))]


# -- hooks ---------------------------------------------------------------------------------------------


def activity_counts(tenant, period) -> dict:
    with tenant_scope(tenant):
        held = db.session.execute(
            sa.select(Person.municipality_bfs, sa.func.count())
            .join(Case, sa.and_(Case.tenant_id == Person.tenant_id, Case.person_id == Person.id))
            .join(CaseEvent, sa.and_(CaseEvent.tenant_id == Case.tenant_id, CaseEvent.case_id == Case.id))
            .where(CaseEvent.to_state == states.INTERVIEW_HELD, _in(CaseEvent.on, period))
            .group_by(Person.municipality_bfs)).all()
    return {INTERVIEWS_HELD.key: dict(held)}


def report_figures(tenant, period) -> dict:
    with tenant_scope(tenant):
        return {CASES_OPENED.key: _entered(states.OPENED, period),
                CASES_ESCALATED.key: _entered(states.SUBMITTED, period),
                INTERVIEWS_HELD.key: _entered(states.INTERVIEW_HELD, period)}


def report_sections(tenant, period) -> list:
    with tenant_scope(tenant):
        ended, days = outcomes(period), durations(period)
        steps = [(states.OPENED, _("eröffnet")), (states.INTERVIEW_HELD, _("Integrationsgespräch geführt")),
                 (states.MEASURES_AGREED, _("Massnahmen vereinbart")), (states.SUBMITTED, _("an den Kanton übergeben")),
                 (states.AGREEMENT_CONCLUDED, _("Integrationsvereinbarung abgeschlossen")),
                 (states.RECOMMENDATION_ISSUED, _("Integrationsempfehlung abgegeben")),
                 (states.CLOSED, _("abgeschlossen"))]
        median = statistics.median(days) if len(days) >= SMALL else None
        return [Section(_("Fordern: Fälle (anonym; Zahlen unter %(n)s als «<%(n)s»)", n=SMALL), [
            Table(_("Schritte im Zeitraum"), [_("Schritt"), _("Fälle")],
                  [[label, small(_entered(state, period))] for state, label in steps]),
            Table(_("Abgeschlossene Fälle nach Ergebnis"), [_("Ergebnis"), _("Fälle")],
                  [[str(label), small(ended[outcome])] for outcome, label in states.OUTCOME_LABELS.items()]),
            Table(_("Dauer bis zum Abschluss"), [_("Kennzahl"), _("Tage")],
                  [[_("Median (ab %(n)s abgeschlossenen Fällen)", n=SMALL), "–" if median is None else round(median)]]),
        ])]

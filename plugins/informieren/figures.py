"""Figures for others: report sections, the canton report's key figures, activity counts for subsidies.

Everything here runs in the scope of one tenant (the tenant report, or each tenant's row of
the canton report) and counts in SQL; only the arrivals of the period are read as rows
(for nationalities and languages, which are lists, and for the time to first information).
"""

from __future__ import annotations

import statistics
from collections import Counter

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import i18n
from core.db import db
from core.plugins import Figure
from core.reports import Chart, Section, Table
from core.tenancy import tenant_scope
from plugins.informieren.models import Interview, Newcomer, Outcome, WelcomeLetter

NEWCOMERS = Figure("informieren.newcomers", _l("Neuzuzügerinnen und Neuzuzüger"))
LETTERS_SENT = Figure("informieren.letters_sent", _l("Begrüssungsschreiben versandt"))
INTERVIEWS_HELD = Figure("informieren.interviews_held", _l("Erstinformationsgespräche geführt"))

# Days from arrival to first information, as the distribution shows them: (upper bound, label).
BUCKETS = ((14, "0–14"), (30, "15–30"), (60, "31–60"), (90, "61–90"), (180, "91–180"))


def _in(column, period):
    return column.between(period.start, period.end)


def _count(statement) -> int:
    return db.session.scalar(statement) or 0


def newcomers(period) -> int:
    return _count(sa.select(sa.func.count()).select_from(Newcomer).where(_in(Newcomer.arrival_date, period)))


def letters_sent(period) -> int:
    return _count(sa.select(sa.func.count()).select_from(WelcomeLetter).where(_in(WelcomeLetter.sent_on, period)))


def interview_outcomes(period) -> dict[str, int]:
    """Interviews by outcome, on the day of their outcome (``held_on``) in the period."""
    found = db.session.execute(
        sa.select(Interview.outcome, sa.func.count()).where(Interview.outcome.is_not(None),
                                                            _in(Interview.held_on, period))
        .group_by(Interview.outcome)
    ).all()
    return {outcome: count for outcome, count in found}


def interviews_held(period) -> int:
    return interview_outcomes(period).get(Outcome.HELD, 0)


# -- hooks ----------------------------------------------------------------------------------------


# Each hook counts in the tenant's own scope, whoever calls it (a report, the subsidy module, a test).


def activity_counts(tenant, period) -> dict:
    """Letters sent and interviews held in the period, per commune of the person."""
    with tenant_scope(tenant):
        letters = db.session.execute(
            sa.select(Newcomer.municipality_bfs, sa.func.count())
            .join(WelcomeLetter, sa.and_(WelcomeLetter.tenant_id == Newcomer.tenant_id,
                                         WelcomeLetter.person_id == Newcomer.id))
            .where(_in(WelcomeLetter.sent_on, period)).group_by(Newcomer.municipality_bfs)
        ).all()
        held = db.session.execute(
            sa.select(Newcomer.municipality_bfs, sa.func.count())
            .join(Interview, sa.and_(Interview.tenant_id == Newcomer.tenant_id, Interview.person_id == Newcomer.id))
            .where(Interview.outcome == Outcome.HELD, _in(Interview.held_on, period))
            .group_by(Newcomer.municipality_bfs)
        ).all()
    return {LETTERS_SENT.key: dict(letters), INTERVIEWS_HELD.key: dict(held)}


def report_figures(tenant, period) -> dict:
    with tenant_scope(tenant):
        return {
            NEWCOMERS.key: newcomers(period),
            LETTERS_SENT.key: letters_sent(period),
            INTERVIEWS_HELD.key: interviews_held(period),
        }


def report_sections(tenant, period) -> list:
    with tenant_scope(tenant):
        return [_newcomer_section(period), _welcome_section(period)]


# -- newcomers ----------------------------------------------------------------------------------


def _months(period) -> list[tuple[int, int]]:
    months, year, month = [], period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def arrivals_by_month(period) -> list[tuple[str, int]]:
    year, month = sa.extract("year", Newcomer.arrival_date), sa.extract("month", Newcomer.arrival_date)
    found = db.session.execute(
        sa.select(year, month, sa.func.count()).where(_in(Newcomer.arrival_date, period)).group_by(year, month)
    ).all()
    counts = {(int(y), int(m)): n for y, m, n in found}
    return [(f"{y}-{m:02d}", counts.get((y, m), 0)) for y, m in _months(period)]


# The report names a row of persons without a nationality or language "unbekannt" (core's names are
# empty for no code): the only difference from core.i18n, hence these two wrappers.


def country_name(code: str) -> str:
    return i18n.country_name(code) if code else _("unbekannt")


def language_name(code: str) -> str:
    return i18n.language_name(code) if code else _("unbekannt")


def _ranked(counter: Counter, name) -> list[list]:
    # Most frequent first, the unknown last.
    ordered = sorted(counter.items(), key=lambda item: (item[0] == "", -item[1], item[0]))
    return [[name(code), count] for code, count in ordered]


def _newcomer_section(period) -> Section:
    persons = db.session.execute(
        sa.select(Newcomer.nationalities, Newcomer.languages).where(_in(Newcomer.arrival_date, period))
    ).all()
    nationalities = Counter(code for codes, _langs in persons for code in (codes or [""]))
    languages = Counter((langs or [""])[0] for _codes, langs in persons)
    permits = db.session.execute(
        sa.select(Newcomer.permit_category, sa.func.count()).where(_in(Newcomer.arrival_date, period))
        .group_by(Newcomer.permit_category)
    ).all()
    permit_counts = Counter({permit or "": count for permit, count in permits})
    months = arrivals_by_month(period)
    person_column = _("Personen")
    return Section(_("Informieren: Neuzuzügerinnen und Neuzuzüger"), [
        Table(_("Zuzüge aus dem Ausland nach Monat"), [_("Monat"), person_column], [list(m) for m in months]
              + [[_("Total"), len(persons)]]),
        Table(_("Nach Staatsangehörigkeit (Personen mit mehreren zählen bei jeder)"),
              [_("Staatsangehörigkeit"), person_column], _ranked(nationalities, country_name)),
        Table(_("Nach Sprache (die am besten gelesene)"), [_("Sprache"), person_column],
              _ranked(languages, language_name)),
        Table(_("Nach Aufenthaltsbewilligung"), [_("Bewilligung"), person_column],
              _ranked(permit_counts, lambda permit: permit or _("unbekannt"))),
    ], [Chart(_("Zuzüge aus dem Ausland nach Monat"), [label for label, _n in months],
              {person_column: [n for _label, n in months]})])


# -- welcome and first information ---------------------------------------------------------------------


def days_to_first_information(period) -> tuple[list[int], int]:
    """For the arrivals of the period: days from arrival to the letter sent or the interview held,
    whichever came first; and how many have had neither yet."""
    held = (
        sa.select(Interview.tenant_id, Interview.person_id, sa.func.min(Interview.held_on).label("first_held"))
        .where(Interview.outcome == Outcome.HELD).group_by(Interview.tenant_id, Interview.person_id).subquery()
    )
    found = db.session.execute(
        sa.select(Newcomer.arrival_date, WelcomeLetter.sent_on, held.c.first_held)
        .outerjoin(WelcomeLetter, sa.and_(WelcomeLetter.tenant_id == Newcomer.tenant_id,
                                          WelcomeLetter.person_id == Newcomer.id))
        .outerjoin(held, sa.and_(held.c.tenant_id == Newcomer.tenant_id, held.c.person_id == Newcomer.id))
        .where(_in(Newcomer.arrival_date, period))
    ).all()
    days, waiting = [], 0
    for arrival, sent_on, first_held in found:
        first = min((day for day in (sent_on, first_held) if day is not None), default=None)
        if first is None:
            waiting += 1
        else:
            days.append(max((first - arrival).days, 0))
    return days, waiting


def distribution(days: list[int]) -> list[tuple[str, int]]:
    counts = Counter()
    for value in days:
        label = next((label for upper, label in BUCKETS if value <= upper), None)
        counts[label or "> 180"] += 1
    return [(label, counts[label]) for _upper, label in BUCKETS] + [("> 180", counts["> 180"])]


def _welcome_section(period) -> Section:
    outcomes = interview_outcomes(period)
    days, waiting = days_to_first_information(period)
    spread = distribution(days)
    median = statistics.median(days) if days else "–"
    count = _("Anzahl")
    return Section(_("Informieren: Begrüssung und Erstinformation"), [
        Table(_("Begrüssungsschreiben und Erstinformationsgespräche im Zeitraum"), [_("Was"), count], [
            [_("Begrüssungsschreiben versandt"), letters_sent(period)],
            [_("Erstinformationsgespräche geführt"), outcomes.get(Outcome.HELD, 0)],
            [_("Erstinformationsgespräche abgelehnt"), outcomes.get(Outcome.DECLINED, 0)],
            [_("Nicht erschienen"), outcomes.get(Outcome.NO_SHOW, 0)],
            [_("Abgesagt"), outcomes.get(Outcome.CANCELLED, 0)],
        ]),
        Table(_("Zeit vom Zuzug bis zur Erstinformation (Zuzüge im Zeitraum; Schreiben versandt oder "
                "Gespräch geführt, was zuerst kam)"), [_("Tage"), _("Personen")],
              [[label, n] for label, n in spread]
              + [[_("noch keine Erstinformation"), waiting], [_("Median (Tage)"), median]]),
    ], [Chart(_("Tage vom Zuzug bis zur Erstinformation"), [label for label, _n in spread],
              {_("Personen"): [n for _label, n in spread]})])

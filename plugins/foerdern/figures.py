"""Fördern's counts, in one place: the needs no current offer covers, and the referrals and their outcomes.

Everything here runs in the current tenant's scope and counts in SQL, except the coverage of
needs, which compares each open need (its category, its person's languages) with the current
offers (``needs.current_offers``, the one access to them). The needs overview shows these
figures; reports and the API are to use the same functions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from core.db import db
from core.people import Person
from plugins.foerdern import needs
from plugins.foerdern.needs_models import CATEGORIES, COMPLETED, DROPPED_OUT, OUTCOMES, Need, Referral, ReferralStep

UNKNOWN = ""  # the language of a person whose languages are not known


@dataclass
class CategoryRow:
    category: str
    open: int = 0
    uncovered: int = 0
    offers: int = 0  # current offers of the kinds that cover the category
    levels: Counter = field(default_factory=Counter)  # the levels wanted by the uncovered language needs


@dataclass
class Coverage:
    """Open needs and those no current offer covers: per category, and per language of the person."""

    day: date
    categories: list[CategoryRow]
    languages: dict[str, Counter]  # first language of the person (or UNKNOWN) -> category -> uncovered needs

    @property
    def open(self) -> int:
        return sum(row.open for row in self.categories)

    @property
    def uncovered(self) -> int:
        return sum(row.uncovered for row in self.categories)

    def language_rows(self) -> list[tuple[str, Counter, int]]:
        """(language, uncovered per category, total), the most uncovered first."""
        rows = [(code, counts, sum(counts.values())) for code, counts in self.languages.items()]
        return sorted(rows, key=lambda row: (-row[2], row[0] == UNKNOWN, row[0]))


def coverage(day: date) -> Coverage:
    """Which open needs of the tenant's persons no offer current on ``day`` covers."""
    offers = needs.current_offers(day)
    rows = {category: CategoryRow(category) for category in CATEGORIES}
    for category, row in rows.items():
        row.offers = sum(1 for offer in offers if offer.kind in needs.CATEGORY_KINDS[category])
    languages: dict[str, Counter] = {}
    covered: dict[tuple, bool] = {}  # the same category and languages are judged once
    found = db.session.execute(
        sa.select(Need.category, Need.level, Person.languages)
        .join(Person, sa.and_(Person.tenant_id == Need.tenant_id, Person.id == Need.person_id))
        .where(Need.state == "open")
    ).all()
    for category, level, spoken in found:
        spoken = list(spoken or ())
        key = (category, tuple(spoken))
        if key not in covered:
            covered[key] = any(needs.covers(offer, category, spoken) for offer in offers)
        row = rows[category]
        row.open += 1
        if not covered[key]:
            row.uncovered += 1
            if level:
                row.levels[level] += 1
            languages.setdefault(spoken[0] if spoken else UNKNOWN, Counter())[category] += 1
    return Coverage(day, list(rows.values()), languages)


def uncovered_needs(day: date) -> dict:
    """The uncovered needs as plain numbers: per category, per language (first language; "" unknown)."""
    found = coverage(day)
    return {"categories": {row.category: row.uncovered for row in found.categories},
            "languages": {code: sum(counts.values()) for code, counts in found.languages.items()}}


# -- referrals -------------------------------------------------------------------------------------


def _made_in(period):
    """SQL: the referral's first step lies in the period."""
    first = sa.select(ReferralStep.referral_id).where(ReferralStep.seq == 1,
                                                      ReferralStep.taken_on.between(period.start, period.end))
    return Referral.id.in_(first)


def referrals_made(period) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Referral).where(_made_in(period))) or 0


def referrals_by_state(period) -> dict[str, int]:
    """The referrals made in the period, by the state they are in now."""
    found = db.session.execute(sa.select(Referral.state, sa.func.count()).where(_made_in(period))
                               .group_by(Referral.state)).all()
    return dict(found)


def referrals_made_by_commune(period) -> dict[int, int]:
    """The referrals made in the period, per commune of the person (for the activity counts)."""
    found = db.session.execute(
        sa.select(Person.municipality_bfs, sa.func.count())
        .join(Referral, sa.and_(Referral.tenant_id == Person.tenant_id, Referral.person_id == Person.id))
        .where(_made_in(period)).group_by(Person.municipality_bfs)
    ).all()
    return dict(found)


def outcomes(period) -> dict[str, int]:
    """The outcomes reached in the period (the day of the step), completed and dropped out."""
    found = dict(db.session.execute(
        sa.select(ReferralStep.state, sa.func.count())
        .where(ReferralStep.state.in_(OUTCOMES), ReferralStep.taken_on.between(period.start, period.end))
        .group_by(ReferralStep.state)
    ).all())
    return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}


def completion_rate(period) -> float | None:
    """Of the outcomes reached in the period, the share completed (None without any)."""
    found = outcomes(period)
    ended = found[COMPLETED] + found[DROPPED_OUT]
    return found[COMPLETED] / ended if ended else None

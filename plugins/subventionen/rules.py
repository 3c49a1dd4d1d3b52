"""The arithmetic of a claim: a year's rules applied to the communes served, their activity and the costs.

Pure functions over plain values (no database, no request), so the property tests can drive them.

The rounding rule, stated once:

- Every amount is an ``int`` of Rappen; no float is ever made.
- A line is exact to the Rappen.  Where a rule's arithmetic gives a fraction of a Rappen (a share of
  costs, a flat amount or a cap for part of the period) the line is rounded **down** to the whole
  Rappen, once, in that line: the canton never pays more than its rules say.
- The payable amount is rounded to 5 Rappen (:func:`core.money.round_to_5`, as Swiss payments are)
  in a last line of its own, "Rundung" (``kind="rounding"``, -2 to +2 Rappen).  So the claim's total is
  the sum of its lines *and* the amount that is paid; the lines show where every Rappen comes from.

Attribution to communes: a tenant serves a commune for the days its link says (``valid_from`` to
``valid_to``).  Per activity, only what was counted for the commune on those days is the tenant's (the
caller asks :func:`core.activity.counts` per span).  A flat amount per commune and a commune's cap are
shared by days: a commune served 184 of 365 days brings 184/365 of them (rounded down).  So a commune that
changed group during the year is paid once, split between the groups by the days each served it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from core.money import round_to_5
from plugins.subventionen.models import COMMUNE_CAP, COST_SHARE, FLAT_COMMUNE, FLAT_TENANT, PER_ACTIVITY

ROUNDING = "rounding"  # the line that rounds the total to 5 Rappen (not a rule kind)
FULL_SHARE = 10_000  # a share is in basis points: 5000 = 50 %


@dataclass(frozen=True)
class RuleTerms:
    """One rule as the arithmetic needs it (a :class:`plugins.subventionen.models.Rule` without the database)."""

    seq: int
    kind: str
    amount: int | None = None  # per tenant, per commune, per activity; the cap
    activity_key: str | None = None
    share: int | None = None  # basis points of the documented costs
    ceiling: int | None = None  # of the cost share, per tenant

    @classmethod
    def of(cls, rule) -> RuleTerms:
        return cls(rule.seq, rule.kind, rule.amount, rule.activity_key, rule.share, rule.ceiling)


@dataclass(frozen=True)
class Span:
    """The days within the claim period on which the tenant served a commune (inclusive)."""

    bfs_number: int
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Line:
    """One line of a claim.  ``quantity``: activities counted, days served (per-commune flat and cap), or 1."""

    bfs_number: int | None  # None: a line for the whole tenant
    rule_seq: int  # 0 for the rounding
    kind: str
    amount: int
    quantity: int = 1
    rate: int | None = None
    activity_key: str | None = None


@dataclass(frozen=True)
class Result:
    lines: tuple[Line, ...]
    total: int  # the sum of the lines: what the claim asks, a multiple of 5 Rappen


def period_days(start: date, end: date) -> int:
    return (end - start).days + 1


def spans(links: Iterable, start: date, end: date) -> list[Span]:
    """The links (``bfs_number``, ``valid_from``, ``valid_to`` or None) clipped to the period; those outside dropped.

    Two links of one commune (left and came back) stay two spans.
    """
    found = []
    for link in links:
        first = max(link.valid_from, start)
        last = min(link.valid_to or end, end)
        if first <= last:
            found.append(Span(link.bfs_number, first, last))
    return sorted(found, key=lambda span: (span.bfs_number, span.start))


def days_served(found: Iterable[Span]) -> dict[int, int]:
    """Per commune, the days of the period the tenant served it."""
    days: dict[int, int] = {}
    for span in found:
        days[span.bfs_number] = days.get(span.bfs_number, 0) + span.days
    return days


def _pro_rata(amount: int, days: int, of_days: int) -> int:
    """``amount`` for ``days`` of ``of_days``, rounded down to the Rappen (all of it for the whole period)."""
    return amount if days >= of_days else amount * days // of_days


def _commune_lines(rules: list[RuleTerms], bfs: int, days: int, of_days: int,
                   counts: dict[str, dict[int, int]]) -> list[Line]:
    lines = []
    for rule in rules:
        if rule.kind == FLAT_COMMUNE:
            lines.append(Line(bfs, rule.seq, FLAT_COMMUNE, _pro_rata(rule.amount, days, of_days), days, rule.amount))
        elif rule.kind == PER_ACTIVITY:
            number = counts.get(rule.activity_key, {}).get(bfs, 0)
            if number:
                lines.append(Line(bfs, rule.seq, PER_ACTIVITY, number * rule.amount, number, rule.amount,
                                  rule.activity_key))
    caps = [rule for rule in rules if rule.kind == COMMUNE_CAP]
    if caps:
        cap = min(caps, key=lambda rule: (rule.amount, rule.seq))
        limit = _pro_rata(cap.amount, days, of_days)
        subtotal = sum(line.amount for line in lines)
        if subtotal > limit:
            lines.append(Line(bfs, cap.seq, COMMUNE_CAP, limit - subtotal, days, cap.amount))
    return lines


def _tenant_lines(rules: list[RuleTerms], costs: int) -> list[Line]:
    lines = []
    for rule in rules:
        if rule.kind == FLAT_TENANT:
            lines.append(Line(None, rule.seq, FLAT_TENANT, rule.amount, 1, rule.amount))
        elif rule.kind == COST_SHARE and costs:
            share = costs * rule.share // FULL_SHARE
            if rule.ceiling is not None:
                share = min(share, rule.ceiling)
            lines.append(Line(None, rule.seq, COST_SHARE, share, 1, None))
    return lines


def compute(rules: Iterable[RuleTerms], start: date, end: date, served: Iterable[Span],
            counts: dict[str, dict[int, int]], costs: int) -> Result:
    """The lines of a claim for the period ``start``–``end``.

    ``served``: the spans of the communes served (:func:`spans`); ``counts``: activity key → {BFS number:
    count}, already attributed to those spans; ``costs``: the documented costs in Rappen.  Communes in the
    order of their BFS numbers (the caller orders by name for people), then the tenant's lines, then the
    rounding.
    """
    rules = sorted(rules, key=lambda rule: rule.seq)
    of_days = period_days(start, end)
    lines: list[Line] = []
    for bfs, days in sorted(days_served(served).items()):
        lines.extend(_commune_lines(rules, bfs, min(days, of_days), of_days, counts))
    lines.extend(_tenant_lines(rules, costs))
    subtotal = sum(line.amount for line in lines)
    rounded = round_to_5(subtotal)
    if rounded != subtotal:
        lines.append(Line(None, 0, ROUNDING, rounded - subtotal))
    return Result(tuple(lines), sum(line.amount for line in lines))

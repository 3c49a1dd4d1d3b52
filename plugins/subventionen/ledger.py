"""The canton's ledger of the integration credit: bookings, the credit's lock, and every sum the pages show.

The ledger is append-only (:func:`core.db.append_only`): an approval books a commitment, an executed
payment run a payment per claim, a later change a signed correction.  No figure is stored anywhere
else: what is committed, paid and left of a year is a sum over these rows, read in the canton's
scope (the canton owns them).  A commune reads its own entries, those with its ``claimant_tenant_id``
(:class:`core.db.SharedReads`).

Bookings against the credit take the year's credit row lock first (:func:`lock_credit`), so two
approvals (or an approval and a payment run) never both see the same credit left.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.db import db
from core.errors import UserError
from core.money import format_chf
from plugins.subventionen.models import COMMITMENT, CORRECTION, PAYMENT, Credit, LedgerEntry

PROGRAMME_YEARS = tuple(range(2017, 2022))  # start-up financing from 2017 until the end of 2021
COMMITTING = (COMMITMENT, CORRECTION)  # what counts against the credit
ENTRY_LABELS = {COMMITMENT: _l("genehmigt"), PAYMENT: _l("ausbezahlt"), CORRECTION: _l("Korrektur")}


def credit_of(year: int) -> Credit | None:
    return db.session.scalar(sa.select(Credit).where(Credit.year == year))


def locked(model, *where):
    """The row of ``model`` matching ``where``, locked until the transaction ends (None if there is none).

    PostgreSQL: ``SELECT … FOR UPDATE``.  SQLite has no row locks: a write to the row takes the
    database's write lock at once, before anything is read, and that serialises the writers.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.update(model).where(*where).values(tenant_id=model.tenant_id)
                           .execution_options(synchronize_session=False))
    return db.session.scalar(sa.select(model).where(*where).with_for_update()
                             .execution_options(populate_existing=True))


def lock_credit(year: int) -> Credit:
    """The year's credit, its row locked until the commit (refused where the canton has set none).

    Every booking against the credit takes this lock before it sums what the ledger holds.
    """
    credit = locked(Credit, Credit.year == year)
    if credit is None:
        raise UserError(_("Für %(year)s ist noch kein Integrationskredit festgelegt.", year=year))
    return credit


def _sum(year: int, kinds) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0))
                                 .where(LedgerEntry.year == year, LedgerEntry.kind.in_(kinds))))


def committed(year: int) -> int:
    """The commitments of the year, net of corrections."""
    return _sum(year, COMMITTING)


def paid(year: int) -> int:
    return _sum(year, (PAYMENT,))


def book(kind: str, year: int, claimant_tenant_id: int, claim_number: str, amount: int, note: str = "",
         run_id=None) -> LedgerEntry:
    """Append one entry (in the canton's scope) and audit it."""
    entry = LedgerEntry(year=year, claimant_tenant_id=claimant_tenant_id, claim_number=claim_number, kind=kind,
                        amount=amount, note=note, payment_run_id=run_id, booked_on=clock.today(),
                        booked_by=audit.current_actor())
    db.session.add(entry)
    db.session.flush()
    audit.record(f"subventionen.ledger.{kind}", object_type="subventionen_ledger", object_id=entry.id,
                 detail={"year": year, "claim": claim_number, "amount": amount, "tenant": claimant_tenant_id})
    return entry


def entries(year: int | None = None) -> list[LedgerEntry]:
    """The entries in the order they were booked (of one year, or all the scope reads)."""
    query = sa.select(LedgerEntry).order_by(LedgerEntry.booked_at, LedgerEntry.claim_number, LedgerEntry.kind)
    if year is not None:
        query = query.where(LedgerEntry.year == year)
    return db.session.scalars(query).all()


def refuse_beyond_credit(credit: Credit, amount: int, already: int) -> None:
    left = credit.amount - already
    if amount > left:
        raise UserError(_("%(amount)s übersteigt, was vom Integrationskredit %(year)s übrig ist (%(left)s): "
                          "nichts ist gebucht.", amount=format_chf(amount), year=credit.year, left=format_chf(left)))


# -- the sums of the overview ------------------------------------------------------------------------


@dataclass(frozen=True)
class YearFigures:
    year: int
    credit: int | None  # None: not set
    committed: int
    paid: int

    @property
    def left(self) -> int:
        return (self.credit or 0) - self.committed

    @property
    def unpaid(self) -> int:
        return self.committed - self.paid


def year_figures(years) -> list[YearFigures]:
    """Credit, committed, paid of each year, in two queries."""
    credits = dict(db.session.execute(sa.select(Credit.year, Credit.amount).where(Credit.year.in_(years))).all())
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for year, kind, amount in db.session.execute(
            sa.select(LedgerEntry.year, LedgerEntry.kind, sa.func.sum(LedgerEntry.amount))
            .where(LedgerEntry.year.in_(years)).group_by(LedgerEntry.year, LedgerEntry.kind)):
        sums[year][kind] = int(amount)
    return [YearFigures(year, credits.get(year), sums[year][COMMITMENT] + sums[year][CORRECTION],
                        sums[year][PAYMENT]) for year in years]


def years_shown() -> list[int]:
    """The programme's years and any other year the canton gave a credit or booked in."""
    found = set(db.session.scalars(sa.select(Credit.year))) | set(db.session.scalars(sa.select(LedgerEntry.year)))
    return sorted(found | set(PROGRAMME_YEARS))


@dataclass(frozen=True)
class ClaimBalance:
    """One claim's bookings: what is committed (net of corrections) and what is paid."""

    year: int
    number: str
    claimant_tenant_id: int
    committed: int
    paid: int

    @property
    def unpaid(self) -> int:
        return self.committed - self.paid


def claim_balances(year: int | None = None, number: str | None = None) -> list[ClaimBalance]:
    """Every claim with a booking (of one year, or the one with ``number``), by claim number."""
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    query = (sa.select(LedgerEntry.year, LedgerEntry.claim_number, LedgerEntry.claimant_tenant_id, LedgerEntry.kind,
                       sa.func.sum(LedgerEntry.amount))
             .group_by(LedgerEntry.year, LedgerEntry.claim_number, LedgerEntry.claimant_tenant_id, LedgerEntry.kind))
    if year is not None:
        query = query.where(LedgerEntry.year == year)
    if number is not None:
        query = query.where(LedgerEntry.claim_number == number)
    for entry_year, number, tenant_id, kind, amount in db.session.execute(query):
        totals[(entry_year, number, tenant_id)][kind] = int(amount)
    return [ClaimBalance(y, number, tenant_id, sums[COMMITMENT] + sums[CORRECTION], sums[PAYMENT])
            for (y, number, tenant_id), sums in sorted(totals.items(), key=lambda item: (item[0][0], item[0][1]))]


def balance_of(number: str) -> ClaimBalance | None:
    found = claim_balances(number=number)
    return found[0] if found else None


def per_tenant(year: int) -> dict[int, ClaimBalance]:
    """The year's committed and paid sums per claimant tenant (a tenant claims once a year; summed anyway)."""
    found: dict[int, ClaimBalance] = {}
    for balance in claim_balances(year):
        before = found.get(balance.claimant_tenant_id)
        found[balance.claimant_tenant_id] = balance if before is None else ClaimBalance(
            year, f"{before.number}, {balance.number}", balance.claimant_tenant_id,
            before.committed + balance.committed, before.paid + balance.paid)
    return found

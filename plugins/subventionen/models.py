"""The subsidy accounting's tables: the canton's credit, rules and ledger; the communes' claims.

Who owns what, and why:

- **The canton's tenant** owns the credit of each year (:class:`Credit`), the year's rules in
  numbered versions (:class:`RuleSet`, :class:`Rule`), the ledger (:class:`LedgerEntry`) and
  the payment runs (:class:`PaymentRun`, :class:`PaymentItem`).  Every tenant reads the credits
  and rules (its claim is computed from them) and its own ledger entries (its payments):
  :class:`core.db.SharedReads`, read-only.
- **A commune or regional group** owns its claims (:class:`Claim`) with their computed lines
  (:class:`ClaimLine`) and documented costs (:class:`Cost`, receipts as core attachments).  The
  canton never reads them: it reviews the snapshot the tenant submits (core submissions), and
  the tenant's module records the canton's decision through the ``submission_changed`` hook.

Money is integer Rappen (:func:`core.money.money_column`).  The ledger is append-only: a
correction is a new entry.  Every figure of the overview is a sum over it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.clock import utcnow
from core.db import SharedReads, TenantScoped, UTCDateTime, append_only, db, one_of, tenant_fk, uuid_pk
from core.money import money_column

# The rule kinds of a year (see plugins.subventionen.rules for their arithmetic).
FLAT_TENANT = "flat_tenant"  # an amount per claiming tenant
FLAT_COMMUNE = "flat_commune"  # an amount per commune served
PER_ACTIVITY = "per_activity"  # an amount per counted activity (an activity key of a module)
COST_SHARE = "cost_share"  # a share of the documented costs, up to a ceiling per tenant
COMMUNE_CAP = "commune_cap"  # at most this much per commune served
RULE_KINDS = (FLAT_TENANT, FLAT_COMMUNE, PER_ACTIVITY, COST_SHARE, COMMUNE_CAP)

# A claim's states in its tenant.  "paid" is not one: a claim is paid when the ledger holds its payment.
DRAFT, SUBMITTED, RETURNED, APPROVED, WITHDRAWN = "draft", "submitted", "returned", "approved", "withdrawn"
CLAIM_STATES = (DRAFT, SUBMITTED, RETURNED, APPROVED, WITHDRAWN)

# Ledger entries: the canton commits an approved amount, pays it, or corrects a commitment (signed).
COMMITMENT, PAYMENT, CORRECTION = "commitment", "payment", "correction"
ENTRY_KINDS = (COMMITMENT, PAYMENT, CORRECTION)

_tenants = sa.table("tenants", sa.column("id"), sa.column("kind"))


def _canton_row(cls):
    """A row of the canton's tenant: what every scope reads of the canton's credits and rules."""
    return sa.exists().where(_tenants.c.id == cls.tenant_id, _tenants.c.kind == sa.literal_column("'canton'"))


class Credit(SharedReads, TenantScoped, db.Model):
    """The integration credit of one year: the amount, the period claims cover and their deadline."""

    __tablename__ = "subventionen_credits"
    __table_args__ = (sa.CheckConstraint("claims_from <= claims_until", name="period"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount: Mapped[int] = money_column()
    claims_from: Mapped[date]  # the activity a claim of the year counts
    claims_until: Mapped[date]
    deadline: Mapped[date]  # claims are due by then
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by: Mapped[str] = mapped_column(sa.String(200))

    @classmethod
    def shared_read_criterion(cls):
        return _canton_row(cls)


class RuleSet(SharedReads, TenantScoped, db.Model):
    """One version of a year's rules; frozen once a claim of the year is paid under it."""

    __tablename__ = "subventionen_rule_sets"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, …
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    frozen_on: Mapped[date | None]

    @classmethod
    def shared_read_criterion(cls):
        return _canton_row(cls)


class Rule(SharedReads, TenantScoped, db.Model):
    """One rule of a version: its kind and its figures (which ones depends on the kind)."""

    __tablename__ = "subventionen_rules"
    __table_args__ = (
        tenant_fk(["year", "version"], "subventionen_rule_sets", ["year", "version"], ondelete="CASCADE"),
        sa.CheckConstraint(one_of("kind", RULE_KINDS), name="kind"),
        sa.CheckConstraint("(kind = 'per_activity') = (activity_key IS NOT NULL)", name="activity"),
        sa.CheckConstraint("(kind = 'cost_share') = (share IS NOT NULL)", name="share_kind"),
        sa.CheckConstraint("share IS NULL OR share BETWEEN 1 AND 10000", name="share_range"),
        sa.CheckConstraint("kind = 'cost_share' OR amount IS NOT NULL", name="amount_kind"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(20))
    activity_key: Mapped[str | None] = mapped_column(sa.String(100))
    amount: Mapped[int | None] = money_column(nullable=True)  # per tenant, commune or activity; the cap
    share: Mapped[int | None]  # of the documented costs, in basis points (5000 = 50 %)
    ceiling: Mapped[int | None] = money_column(nullable=True)  # of the cost share, per tenant

    @classmethod
    def shared_read_criterion(cls):
        return _canton_row(cls)


class Claim(TenantScoped, db.Model):
    """A tenant's claim (Abrechnung) for one year, computed from the year's rules; numbered once submitted."""

    __tablename__ = "subventionen_claims"
    __table_args__ = (
        sa.CheckConstraint(one_of("state", CLAIM_STATES), name="state"),
        sa.CheckConstraint("state = 'draft' OR number IS NOT NULL", name="numbered"),
        sa.Index("ix_subventionen_claims_year", "tenant_id", "year", unique=True,
                 sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    year: Mapped[int]
    rule_version: Mapped[int]  # the version of the year's rules the lines were computed with
    state: Mapped[str] = mapped_column(sa.String(20), default=DRAFT)
    number: Mapped[str | None] = mapped_column(sa.String(40))  # the submission's number (SUB-2017-0003)
    total: Mapped[int] = money_column(default=0)  # the sum of the lines
    approved: Mapped[int | None] = money_column(nullable=True)  # by the canton (may be reduced)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")  # the canton's reason to reduce or return
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))


class ClaimLine(TenantScoped, db.Model):
    """One computed line: a rule applied to a commune (or to the tenant), its quantity and amount."""

    __tablename__ = "subventionen_claim_lines"
    __table_args__ = (tenant_fk(["claim_id"], "subventionen_claims", ondelete="CASCADE"),)

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    bfs_number: Mapped[int | None]  # None: a line for the whole tenant
    rule_seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    activity_key: Mapped[str | None] = mapped_column(sa.String(100))
    quantity: Mapped[int] = mapped_column(default=1)
    rate: Mapped[int | None] = money_column(nullable=True)  # per unit, where the rule has one
    amount: Mapped[int] = money_column(non_negative=False)  # a cap's line is negative


class Cost(TenantScoped, db.Model):
    """A documented cost of a claim, with its receipts (core attachments owned by the cost)."""

    __tablename__ = "subventionen_costs"
    __table_args__ = (tenant_fk(["claim_id"], "subventionen_claims", ondelete="CASCADE"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    bfs_number: Mapped[int | None]  # the commune it was spent for, where it was one
    description: Mapped[str] = mapped_column(sa.Text)
    amount: Mapped[int] = money_column()
    spent_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))


class LedgerEntry(SharedReads, TenantScoped, db.Model):
    """One booking of the canton's ledger (append-only): a commitment, a payment or a correction."""

    __tablename__ = "subventionen_ledger"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ENTRY_KINDS), name="kind"),
        sa.CheckConstraint("kind = 'correction' OR amount > 0", name="positive"),
        sa.Index("ix_subventionen_ledger_year", "tenant_id", "year", "kind"),
        sa.Index("ix_subventionen_ledger_claimant", "claimant_tenant_id", "year"),
        # A claim is committed once and paid once; further changes are corrections.
        *(sa.Index(f"ix_subventionen_ledger_one_{kind}", "tenant_id", "claim_number", unique=True,
                   sqlite_where=sa.text(f"kind = '{kind}'"), postgresql_where=sa.text(f"kind = '{kind}'"))
          for kind in (COMMITMENT, PAYMENT)),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    year: Mapped[int]
    claimant_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"))
    claim_number: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[int] = money_column(non_negative=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    payment_run_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    booked_on: Mapped[date]
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    booked_by: Mapped[str] = mapped_column(sa.String(200))

    @classmethod
    def shared_read_criterion(cls):
        return cls.claimant_tenant_id == sa.bindparam("scope_tenant_id")


class PaymentRun(TenantScoped, db.Model):
    """The approved, unpaid claims of a year put into one payment file; booked once when executed."""

    __tablename__ = "subventionen_payment_runs"

    id: Mapped[uuid.UUID] = uuid_pk()
    year: Mapped[int]
    message_id: Mapped[str] = mapped_column(sa.String(35))  # the pain.001 MsgId
    execution_date: Mapped[date]
    # Read at insert time (not bound at import): the payment files check the execution date against it, and a
    # test's clock (core.clock.utcnow patched) moves both.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.utcnow())
    created_by: Mapped[str] = mapped_column(sa.String(200))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    executed_by: Mapped[str | None] = mapped_column(sa.String(200))


class PaymentItem(TenantScoped, db.Model):
    """One transfer of a payment run, with the account it went to as it was then."""

    __tablename__ = "subventionen_payment_items"
    __table_args__ = (tenant_fk(["run_id"], "subventionen_payment_runs", ondelete="CASCADE"),)

    run_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    claim_number: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    claimant_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"))
    amount: Mapped[int] = money_column()
    iban: Mapped[str] = mapped_column(sa.String(34))


append_only(LedgerEntry, what="the subsidy ledger is")

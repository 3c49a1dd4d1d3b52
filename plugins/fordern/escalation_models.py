"""The tables of the escalation to the canton: the canton's records, and the outcome the commune keeps.

In the canton's tenant (never in a commune's): the legal bases with their validity (data the canton
maintains), the review of each submitted case keyed by its submission (the pre-check, the drafted
agreement or recommendation, the decision, the outcome) and the deadlines it tracks. The canton
reads a case only through the submission's snapshot; it has no reference into the commune's rows.

In the commune's tenant: the outcome of an escalation on its case (the canton's decision, its date
and reason, the PDF the canton shares), written by the ``submission_changed`` hook.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Sensitive
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, one_of, tenant_fk, uuid_pk

AGREEMENT, RECOMMENDATION = "agreement", "recommendation"
DOCUMENT_KINDS = (AGREEMENT, RECOMMENDATION)
DECISIONS = ("agreement_concluded", "recommendation_issued", "returned")  # as the case's states
DEADLINE_OUTCOMES = ("met", "partly_met", "not_met")
OUTCOMES = ("fulfilled", "partly_fulfilled", "not_fulfilled")



class LegalBasis(TenantScoped, db.Model):
    """A legal basis an agreement or recommendation rests on, valid from one day to another (the canton's)."""

    __tablename__ = "fordern_legal_bases"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
        sa.Index("ix_fordern_legal_bases_validity", "tenant_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    short: Mapped[str] = mapped_column(sa.String(40))  # AuG, AIG
    title: Mapped[str] = mapped_column(sa.String(300))
    reference: Mapped[str] = mapped_column(sa.String(200))  # SR 142.20, Art. 54
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # the last day it applies; open-ended while None
    updated_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Review(Sensitive, TenantScoped, db.Model):
    """The canton's review of one submitted case: pre-check, the drafted document, the decision, the outcome."""

    __tablename__ = "fordern_reviews"
    __table_args__ = (
        tenant_fk(["legal_basis_id"], "fordern_legal_bases"),
        sa.UniqueConstraint("tenant_id", "submission_id", name="uq_fordern_reviews_submission"),
        sa.CheckConstraint(one_of("kind", DOCUMENT_KINDS, nullable=True), name="kind"),
        sa.CheckConstraint(one_of("decision", DECISIONS, nullable=True), name="decision"),
        sa.CheckConstraint(one_of("outcome", OUTCOMES, nullable=True), name="outcome"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    submission_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)  # core's submission (the commune's row)
    number: Mapped[str] = mapped_column(sa.String(20))
    commune_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="RESTRICT"))
    # the pre-check, on the snapshot of version ``version``
    version: Mapped[int | None]
    nationality: Mapped[str] = mapped_column(sa.String(12), default="")  # ISO 3166 alpha-2, "" unknown
    permit: Mapped[str] = mapped_column(sa.String(10), default="")
    refugee: Mapped[bool] = mapped_column(default=False)  # recognised refugee
    status_rule: Mapped[str] = mapped_column(sa.String(30), default="")  # the rule key of ``legal.STATUS_RULES``
    legal_basis_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    decision_day: Mapped[date | None]
    commune_agrees: Mapped[bool | None]
    commune_note: Mapped[str] = mapped_column(sa.Text, default="")
    reasons: Mapped[str] = mapped_column(sa.Text, default="")  # the reviewer's reasons for the result
    agreement_allowed: Mapped[bool | None]
    checked_by: Mapped[str | None] = mapped_column(sa.String(200))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the document the canton drafts
    kind: Mapped[str | None] = mapped_column(sa.String(20))
    goals: Mapped[str] = mapped_column(sa.Text, default="")
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    consequences: Mapped[str] = mapped_column(sa.Text, default="")
    place: Mapped[str] = mapped_column(sa.String(100), default="")
    commune_signatory: Mapped[str] = mapped_column(sa.String(200), default="")
    canton_signatory: Mapped[str] = mapped_column(sa.String(200), default="")
    aid_language: Mapped[str] = mapped_column(sa.String(10), default="")  # the translation aid's language
    aid_text: Mapped[str] = mapped_column(sa.Text, default="")  # the canton's translation, where it gives one
    # the decision and, for an agreement, its outcome
    decision: Mapped[str | None] = mapped_column(sa.String(30))
    decided_on: Mapped[date | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    outcome_on: Mapped[date | None]
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReviewDeadline(Sensitive, TenantScoped, db.Model):
    """A deadline of an agreement or recommendation, and whether it was met (the canton tracks it)."""

    __tablename__ = "fordern_review_deadlines"
    __table_args__ = (
        tenant_fk(["review_id"], "fordern_reviews"),
        sa.CheckConstraint(one_of("outcome", DEADLINE_OUTCOMES, nullable=True), name="outcome"),
        sa.Index("ix_fordern_review_deadlines_due", "tenant_id", "due_on"),
    )

    review_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(sa.String(300))
    due_on: Mapped[date]
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    outcome_on: Mapped[date | None]
    outcome_by: Mapped[str | None] = mapped_column(sa.String(200))


class CaseOutcome(Sensitive, TenantScoped, db.Model):
    """The canton's decision on an escalated case, as the commune keeps it (written by the hook)."""

    __tablename__ = "fordern_case_outcomes"
    __table_args__ = (
        tenant_fk(["case_id"], "fordern_cases"),
        sa.CheckConstraint(one_of("decision", DECISIONS), name="decision"),
        sa.Index("ix_fordern_case_outcomes_case", "tenant_id", "case_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    number: Mapped[str] = mapped_column(sa.String(20))  # the submission's
    decision: Mapped[str] = mapped_column(sa.String(30))
    decided_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    attachment_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)  # the PDF the canton shares (core attachment)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

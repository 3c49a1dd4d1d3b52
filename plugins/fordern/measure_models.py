"""The measures agreed in a case: kind, goal, deadline, perhaps an offer of Fördern; and their follow-up.

A measure is drafted after the interview and agreed with the others of its round (``agreed_on``);
its follow-up says whether it was met. A Fördern referral to the measure's offer that ends is
noted on it (``referral_outcome``), a suggestion for the follow-up, never the follow-up itself.
Sensitive like the case.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Sensitive
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, one_of, tenant_fk, uuid_pk

KINDS = ("language_course", "work", "education", "childcare", "counselling", "health", "other")
LEVELS = ("A1", "A2", "B1", "B2", "C1")
RESULTS = ("met", "partly_met", "not_met")
REFERRAL_OUTCOMES = ("completed", "dropped_out")  # Fördern's, as its event names them



class Measure(Sensitive, TenantScoped, db.Model):
    __tablename__ = "fordern_measures"
    __table_args__ = (
        tenant_fk(["case_id"], "fordern_cases"),
        sa.CheckConstraint(one_of("kind", KINDS), name="kind"),
        sa.CheckConstraint(f"level IS NULL OR (kind = 'language_course' AND {one_of('level', LEVELS)})",
                           name="level"),
        sa.CheckConstraint(f"result IS NULL OR {one_of('result', RESULTS)}", name="result"),
        sa.CheckConstraint("(result IS NULL) = (result_on IS NULL)", name="result_on"),
        sa.CheckConstraint("(offer_id IS NULL) = (offer_tenant_id IS NULL)", name="offer"),
        sa.CheckConstraint(f"referral_outcome IS NULL OR {one_of('referral_outcome', REFERRAL_OUTCOMES)}",
                           name="referral_outcome"),
        sa.Index("ix_fordern_measures_case", "tenant_id", "case_id"),
        sa.Index("ix_fordern_measures_offer", "tenant_id", "offer_tenant_id", "offer_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    kind: Mapped[str] = mapped_column(sa.String(30))
    level: Mapped[str | None] = mapped_column(sa.String(5))  # a language course's target level
    goal: Mapped[str] = mapped_column(sa.Text)
    deadline: Mapped[date]
    offer_tenant_id: Mapped[int | None]  # an offer of Fördern: "<tenant id>:<offer id>" as the hook named it
    offer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    offer_label: Mapped[str | None] = mapped_column(sa.String(400))  # as it was chosen (the offer may go)
    agreed_on: Mapped[date | None]  # None: drafted, not yet agreed
    result: Mapped[str | None] = mapped_column(sa.String(20))
    result_on: Mapped[date | None]
    result_note: Mapped[str] = mapped_column(sa.Text, default="")
    result_by: Mapped[str | None] = mapped_column(sa.String(200))
    referral_outcome: Mapped[str | None] = mapped_column(sa.String(20))  # from Fördern's event
    referral_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def offer_key(self) -> str | None:
        return f"{self.offer_tenant_id}:{self.offer_id}" if self.offer_id else None

"""Fördern's tables about persons: their needs, and their referrals to offers with each step taken.

A need and a referral belong to core's person (composite key ``(tenant_id, person_id)``). A
referral keeps a snapshot of its offer (the offer's tenant and id, title, kind) and no foreign key:
the offer may be another tenant's (regional, cantonal) or be deleted later. Its steps are a
history that is only appended to (retention alone blanks a step's note, in SQL).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, append_only, db, one_of, tenant_fk, uuid_pk

CATEGORIES = ("language", "childcare", "work", "housing", "health", "education", "social", "other")
LEVELS = ("alpha", "A1", "A2", "B1", "B2", "C1", "C2")  # wanted in a language need; "alpha": literacy
SOURCES = ("direct", "interview")  # entered by the officer, or handed over from a first-information interview
NEED_STATES = ("open", "met", "withdrawn")

PROPOSED, REGISTERED, ATTENDING, COMPLETED, DROPPED_OUT = "proposed", "registered", "attending", "completed", \
    "dropped_out"
REFERRAL_STATES = (PROPOSED, REGISTERED, ATTENDING, COMPLETED, DROPPED_OUT)
OUTCOMES = (COMPLETED, DROPPED_OUT)  # a referral with one of these has ended
FIRST_STATES = (PROPOSED, REGISTERED)  # a referral starts as a proposal, or with the registration made
# Forward only: a step may skip ahead (registered at once, completed after a one-off appointment), never back.
TRANSITIONS = {
    PROPOSED: (REGISTERED, ATTENDING, DROPPED_OUT),
    REGISTERED: (ATTENDING, COMPLETED, DROPPED_OUT),
    ATTENDING: (COMPLETED, DROPPED_OUT),
    COMPLETED: (),
    DROPPED_OUT: (),
}



class Need(TenantScoped, db.Model):
    """A need of a person: its category (language: with the level wanted), a note, where it came from, its state."""

    __tablename__ = "foerdern_needs"
    __table_args__ = (
        tenant_fk(["person_id"], "persons"),
        sa.CheckConstraint(one_of("category", CATEGORIES), name="category"),
        sa.CheckConstraint(f"level IS NULL OR (category = 'language' AND {one_of('level', LEVELS)})", name="level"),
        sa.CheckConstraint(one_of("source", SOURCES), name="source"),
        sa.CheckConstraint(one_of("state", NEED_STATES), name="state"),
        sa.CheckConstraint("(source = 'interview') = (interview_id IS NOT NULL)", name="interview"),
        sa.Index("ix_foerdern_needs_person", "tenant_id", "person_id"),
        # A hand-over's line is recorded once, however often the event comes.
        sa.Index("uq_foerdern_needs_interview_line", "tenant_id", "interview_id", "interview_line", unique=True,
                 sqlite_where=sa.text("interview_id IS NOT NULL"),
                 postgresql_where=sa.text("interview_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    category: Mapped[str] = mapped_column(sa.String(20))
    level: Mapped[str | None] = mapped_column(sa.String(5))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    suggested: Mapped[list] = mapped_column(sa.JSON, default=list)  # offers named in the interview (texts)
    source: Mapped[str] = mapped_column(sa.String(10), default="direct")
    interview_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)  # Informieren's; no key across modules
    interview_line: Mapped[int | None]
    state: Mapped[str] = mapped_column(sa.String(10), default="open")
    state_on: Mapped[date]  # the day it was recorded, met or withdrawn
    state_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Referral(TenantScoped, db.Model):
    """A person referred to an offer (for one of their needs, or none); ``state`` is that of the last step."""

    __tablename__ = "foerdern_referrals"
    __table_args__ = (
        tenant_fk(["person_id"], "persons"),
        tenant_fk(["need_id"], "foerdern_needs"),
        sa.CheckConstraint(one_of("state", REFERRAL_STATES), name="state"),
        sa.Index("ix_foerdern_referrals_person", "tenant_id", "person_id"),
        sa.Index("ix_foerdern_referrals_state", "tenant_id", "state", "state_on"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    need_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # The offer as it was when the person was referred: it may be another tenant's, or be gone since.
    offer_tenant_id: Mapped[int]
    offer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    offer_title: Mapped[dict] = mapped_column(sa.JSON)
    offer_kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(12))
    state_on: Mapped[date]  # the day of the last step
    steps: Mapped[int] = mapped_column(default=0)  # how many; the next step is number steps + 1
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def ended(self) -> bool:
        return self.state in OUTCOMES


class ReferralStep(TenantScoped, db.Model):
    """One step of a referral (append-only): the state reached, on which day, by whom, with a note."""

    __tablename__ = "foerdern_referral_steps"
    __table_args__ = (
        tenant_fk(["referral_id"], "foerdern_referrals"),
        sa.CheckConstraint(one_of("state", REFERRAL_STATES), name="state"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, … per referral
    state: Mapped[str] = mapped_column(sa.String(12))
    taken_on: Mapped[date]
    by: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


append_only(ReferralStep, what="a referral's steps are")  # retention erases notes in SQL

"""Fordern's cases: one person, a reason, an owner, a state; and the immutable history of its transitions.

The most sensitive data of the platform: every read and change of a case is audited
(:class:`core.audit.Sensitive`). A case references core's person by ``(tenant_id, person_id)``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Sensitive
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, append_only, db, one_of, tenant_fk, uuid_pk
from plugins.fordern.states import NEEDS_REASON, OUTCOMES, STATES


class Case(Sensitive, TenantScoped, db.Model):
    """A case about one person: why it was opened, who owns it, where it stands, how it ended."""

    __tablename__ = "fordern_cases"
    __table_args__ = (
        tenant_fk(["person_id"], "persons"),
        sa.CheckConstraint(one_of("state", STATES), name="state"),
        sa.CheckConstraint(f"outcome IS NULL OR {one_of('outcome', OUTCOMES)}", name="outcome"),
        sa.CheckConstraint("(state = 'closed') = (outcome IS NOT NULL)", name="closed_outcome"),
        sa.Index("ix_fordern_cases_person", "tenant_id", "person_id"),
        sa.Index("ix_fordern_cases_owner", "tenant_id", "owner", "state"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    reason: Mapped[str] = mapped_column(sa.Text)
    owner: Mapped[str] = mapped_column(sa.String(200))  # an actor ("user:<id>"): the integration officer
    state: Mapped[str] = mapped_column(sa.String(30), default="opened")
    state_on: Mapped[date]  # the day of the last transition
    outcome: Mapped[str | None] = mapped_column(sa.String(20))  # once closed
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    steps: Mapped[int] = mapped_column(default=0)  # transitions so far (the next is number steps + 1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    anonymised_on: Mapped[date | None]  # past the tenant's retention period: reason and notes erased


class CaseEvent(TenantScoped, db.Model):
    """One transition of a case (append-only): from where to where, on which day, by whom, why."""

    __tablename__ = "fordern_case_events"
    __table_args__ = (
        tenant_fk(["case_id"], "fordern_cases"),
        sa.CheckConstraint(f"from_state IS NULL OR {one_of('from_state', STATES)}", name="from_state"),
        sa.CheckConstraint(one_of("to_state", STATES), name="to_state"),
        sa.CheckConstraint(f"NOT ({one_of('to_state', NEEDS_REASON)}) OR reason <> ''", name="reason"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1 (opened), 2, …
    from_state: Mapped[str | None] = mapped_column(sa.String(30))
    to_state: Mapped[str] = mapped_column(sa.String(30))
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    on: Mapped[date]
    by: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


append_only(CaseEvent, what="a case's history is")  # retention erases reasons in SQL

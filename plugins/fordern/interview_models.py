"""The integration interview of a case: the invitation (when, where, in which languages) and its minutes.

One interview a case, keyed by the case. Sensitive like the case: every read and change is audited.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Sensitive
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, tenant_fk


class Interview(Sensitive, TenantScoped, db.Model):
    """The invitation (date and time, place, interpreter, the letter's language) and, once held, the minutes."""

    __tablename__ = "fordern_interviews"
    __table_args__ = (tenant_fk(["case_id"], "fordern_cases"),)

    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200))
    interpreter_language: Mapped[str | None] = mapped_column(sa.String(8))  # ISO 639-1, none: no interpreter
    letter_language: Mapped[str] = mapped_column(sa.String(8))  # the letter beside German ("de": German only)
    invited_on: Mapped[date]
    held_on: Mapped[date | None]
    topics: Mapped[str] = mapped_column(sa.Text, default="")
    person_view: Mapped[str] = mapped_column(sa.Text, default="")  # what the person said, in the officer's words
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(200))

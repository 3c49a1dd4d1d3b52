"""The tables of the communes' yearly feedback: the canton's round and each tenant's request and answer.

Who owns what (tenant isolation):

- A round (:class:`FeedbackRound`: year, deadline, a note) belongs to the canton's tenant.
- Sending it writes one :class:`FeedbackRequest` into each recipient tenant, owned by that tenant,
  carrying the year, the deadline and the note; the tenant answers in that row and reads nothing of
  the canton's.  The canton reads the answers only inside ``canton_scope`` (audited), and changes
  the requests' deadline there when it moves the round's.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import TenantScoped, UTCDateTime, db


class FeedbackRound(TenantScoped, db.Model):
    """The canton's feedback round of one year; owned by the canton's tenant."""

    __tablename__ = "feedback_rounds"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deadline: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class FeedbackRequest(TenantScoped, db.Model):
    """A round as a recipient tenant received it, and that tenant's answer; owned by the recipient."""

    __tablename__ = "feedback_requests"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deadline: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    worked: Mapped[str] = mapped_column(sa.Text, default="")  # what worked
    effort_minutes: Mapped[int | None]  # the effort, in minutes (entered as hours)
    problems: Mapped[str] = mapped_column(sa.Text, default="")
    remarks: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (sa.CheckConstraint("effort_minutes >= 0", name="effort"),)

    def is_open(self, today: date) -> bool:
        return today <= self.deadline

    @property
    def effort_hours(self) -> Decimal | None:
        if self.effort_minutes is None:
            return None
        return (Decimal(self.effort_minutes) / 60).quantize(Decimal("0.01")).normalize()

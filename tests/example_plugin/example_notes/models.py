"""The module's own tables: notes about core's persons, and the office hours of the public page."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Sensitive
from core.clock import utcnow
from core.content_languages import translated_column
from core.db import TenantScoped, UTCDateTime, db, tenant_fk, uuid_pk
from core.money import money_column

STAFF = "staff"  # a note a member of staff wrote; a hand-over's note says where it came from


class Note(Sensitive, TenantScoped, db.Model):
    """A counselling note about a person of the tenant.  Sensitive: every read and change is audited."""

    __tablename__ = "example_notes"
    __table_args__ = (
        # The person is core's (table persons); the composite key keeps the note in the person's tenant.
        tenant_fk(["person_id"], "persons"),
        sa.Index("ix_example_notes_person", "tenant_id", "person_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    text: Mapped[str] = mapped_column(sa.Text)
    written_on: Mapped[date]  # the retention period runs from here
    written_by: Mapped[str] = mapped_column(sa.String(200))
    fee: Mapped[int] = money_column(default=0)  # the counselling fee, in Rappen
    source: Mapped[str] = mapped_column(sa.String(100), default=STAFF)  # or "informieren.interview:<id>"
    submission_state: Mapped[str | None] = mapped_column(sa.String(20))  # kept by the submission_changed hook
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficeHour(TenantScoped, db.Model):
    """When and where the commune's counselling takes place: shown on the public page."""

    __tablename__ = "example_notes_hours"
    __table_args__ = (sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    weekday: Mapped[int]  # 0 Monday … 6 Sunday
    opens: Mapped[str] = mapped_column(sa.String(5))  # "14:00"
    closes: Mapped[str] = mapped_column(sa.String(5))
    place: Mapped[dict] = translated_column()  # {language: text}, in the tenant's content languages

"""The tables of the introductory courses: a course date and one person's registration for it.

Who owns what (tenant isolation):

- A course and every registration for it belong to the canton's tenant: the canton organises the
  course and keeps its list of participants, and the seats of one course can only be counted and
  handed out where all its registrations are (one tenant, one row lock).
- A registration names the tenant its participant came from (``registrant_tenant_id``).  A commune
  reaches the canton's rows in exactly two deliberate ways, both in :mod:`core.console.courses.service`
  and both in the canton's tenant scope: ``published_courses`` (published courses and their seat
  counts, no names) and ``tenant_registrations`` (only the rows whose ``registrant_tenant_id`` is the
  commune's own).  Registering and cancelling change only the current user's own row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import TenantScoped, UTCDateTime, db, tenant_fk, uuid_pk


class RegistrationStatus:
    REGISTERED = "registered"  # holds a seat
    WAITING = "waiting"  # on the waiting list, in the order of ``registered_at``
    CANCELLED = "cancelled"


class Course(TenantScoped, db.Model):
    """A date of an introductory course; owned by the canton's tenant."""

    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str] = mapped_column(sa.String(200))
    place: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("ends_at > starts_at", name="period"),
    )


class CourseRegistration(TenantScoped, db.Model):
    """One person's registration for a course: owned by the canton, naming the tenant they came from.

    A seat is a number from 1 to the course's capacity, unique per course: two people taking the last
    seat at once cannot both get it (the database refuses the second, who goes to the waiting list).
    """

    __tablename__ = "course_registrations"

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    registrant_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(sa.String(20))
    seat: Mapped[int | None]
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None]

    __table_args__ = (
        tenant_fk(["course_id"], "courses", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "course_id", "user_id", name="uq_course_registrations_user"),
        sa.UniqueConstraint("tenant_id", "course_id", "seat", name="uq_course_registrations_seat"),
        sa.CheckConstraint("status IN ('registered', 'waiting', 'cancelled')", name="status"),
        sa.Index("ix_course_registrations_registrant", "tenant_id", "registrant_tenant_id"),
    )


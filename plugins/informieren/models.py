"""Informieren's tables: newcomers, their imports, welcome letters and first-information interviews.

Every table is tenant-owned; references between them are composite ``(tenant_id, id)``
foreign keys, so a letter of one tenant cannot point at another tenant's person.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Sensitive
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, tenant_fk, uuid_pk
from core.people import Person


class Source(StrEnum):
    """Where a newcomer's record came from."""

    MANUAL = "manual"
    ECH0020 = "ech0020"  # a residents' registry message (upload, batch, CLI)
    API = "api"  # a message or record posted by the registry's API client
    CSV = "csv"


class Stage(StrEnum):
    """Where a newcomer stands in the welcome process (derived by :func:`refresh_stage`)."""

    NEW = "new"
    LETTER_GENERATED = "letter_generated"
    LETTER_SENT = "letter_sent"
    INVITED = "invited"
    HELD = "held"
    DECLINED = "declined"
    NO_SHOW = "no_show"


class Outcome(StrEnum):
    HELD = "held"
    NO_SHOW = "no_show"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Newcomer(Person):
    """A newcomer from abroad (Neuzuzüger/in): a person of the platform, with what Informieren keeps about them.

    Joined-table inheritance: the identity (names, birth date, address, commune, ids) is core's
    ``persons`` row; this table holds the arrival and the welcome's progress under the same
    key ``(tenant_id, id)``, which references the person.
    """

    __tablename__ = "informieren_newcomers"
    __table_args__ = (
        tenant_fk(["id"], "persons", ondelete="CASCADE"),
        sa.Index("ix_informieren_newcomers_arrival", "tenant_id", "arrival_date"),
        sa.Index("ix_informieren_newcomers_stage", "tenant_id", "stage"),
    )
    __mapper_args__ = {"polymorphic_identity": "informieren.newcomer"}

    tenant_id: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    arrival_date: Mapped[date]
    permit_category: Mapped[str | None] = mapped_column(sa.String(10))  # B, C, L, F, N, G, S, Ci, ...
    eu_efta: Mapped[bool | None]  # EU/EFTA national (free movement) or third-state; None when unknown
    source: Mapped[str] = mapped_column(sa.String(20), default=Source.MANUAL)
    stage: Mapped[str] = mapped_column(sa.String(20), default=Stage.NEW)


class PersonChange(TenantScoped, db.Model):
    """What happened to a person's record: created, corrected by the registry, edited by hand."""

    __tablename__ = "informieren_person_changes"
    __table_args__ = (tenant_fk(["person_id"], "informieren_newcomers", ondelete="CASCADE"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))  # created | corrected | edited
    source: Mapped[str] = mapped_column(sa.String(20))
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)  # names of the changed fields
    import_id: Mapped[uuid.UUID | None]


class ImportRun(TenantScoped, db.Model):
    """One import (a message, a batch, a CSV file) and its summary."""

    __tablename__ = "informieren_imports"

    id: Mapped[uuid.UUID] = uuid_pk()
    source: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(300), default="")
    job_id: Mapped[uuid.UUID | None]
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused: Mapped[str | None] = mapped_column(sa.Text)  # why the file as a whole was refused
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # created, updated, unchanged, skipped, review, ...


class ImportItem(TenantScoped, db.Model):
    """A record of an import that was not simply taken: rejected, skipped or flagged for review."""

    __tablename__ = "informieren_import_items"
    __table_args__ = (tenant_fk(["import_id"], "informieren_imports", ondelete="CASCADE"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    import_id: Mapped[uuid.UUID] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(sa.String(20))  # rejected | skipped | review | refused
    reason: Mapped[str] = mapped_column(sa.Text)
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # name, ids, event: enough to find the record


class ReceivedMessage(TenantScoped, db.Model):
    """A registry message already taken, by its content hash: the same delivery twice does nothing."""

    __tablename__ = "informieren_messages"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(200))
    import_id: Mapped[uuid.UUID | None]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LetterTemplate(TenantScoped, db.Model):
    """A tenant's welcome letter in one language (ISO 639-1), with placeholders."""

    __tablename__ = "informieren_letter_templates"

    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(200), default="system")


class WelcomeLetter(TenantScoped, db.Model):
    """The one welcome letter a person receives (one row per person; a household shares a letter)."""

    __tablename__ = "informieren_letters"
    __table_args__ = (tenant_fk(["person_id"], "informieren_newcomers", ondelete="CASCADE"),)

    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_key: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[str] = mapped_column(sa.String(8))
    job_id: Mapped[uuid.UUID | None]
    state: Mapped[str] = mapped_column(sa.String(20))  # generated | sent
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_on: Mapped[date | None]


class Interview(Sensitive, TenantScoped, db.Model):
    """A first-information interview (Erstinformationsgespräch): invitation, outcome, topics, notes."""

    __tablename__ = "informieren_interviews"
    __table_args__ = (tenant_fk(["person_id"], "informieren_newcomers", ondelete="CASCADE"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    invitation: Mapped[str] = mapped_column(sa.String(20))  # letter | appointment
    invited_on: Mapped[date]
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(sa.String(200))
    interpreter_language: Mapped[str | None] = mapped_column(sa.String(8))
    outcome: Mapped[str | None] = mapped_column(sa.String(20))  # Outcome, None while open
    held_on: Mapped[date | None]
    topics: Mapped[list] = mapped_column(sa.JSON, default=list)  # keys of the tenant's checklist
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    handed_over: Mapped[dict | None] = mapped_column(sa.JSON)  # what went to Fördern, if anything
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_INTERVIEW_STAGES = {Outcome.HELD: Stage.HELD, Outcome.DECLINED: Stage.DECLINED, Outcome.NO_SHOW: Stage.NO_SHOW}


def refresh_stage(person: Newcomer) -> str:
    """Derive the person's stage from their letter and latest interview; call after changing either."""
    not_cancelled = Interview.outcome.is_distinct_from(Outcome.CANCELLED)
    latest = db.session.scalars(
        sa.select(Interview).where(Interview.person_id == person.id, not_cancelled)
        .order_by(Interview.created_at.desc()).limit(1)
    ).first()
    letter = db.session.get(WelcomeLetter, (person.tenant_id, person.id)) if person.tenant_id else None
    if latest is not None:
        stage = _INTERVIEW_STAGES.get(latest.outcome, Stage.INVITED)
    elif letter is not None:
        stage = Stage.LETTER_SENT if letter.state == "sent" else Stage.LETTER_GENERATED
    else:
        stage = Stage.NEW
    person.stage = stage
    return stage

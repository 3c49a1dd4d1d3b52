"""The audit log: append-only, tenant-owned, written in the transaction of the change."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, uuid_pk


class AuditEvent(TenantScoped, db.Model):
    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(200))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("the audit log is append-only")


def current_actor() -> str:
    """Who acts now: the logged-in user, the CLI's operator or the system."""
    return (g.get("actor") if has_app_context() else None) or "system"


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: object = None,
    detail: dict | None = None,
    tenant_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (in ``tenant_id`` or the current tenant)."""
    event_ = AuditEvent(
        tenant_id=tenant_id,
        actor=current_actor(),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail or {},
    )
    db.session.add(event_)
    return event_


@contextlib.contextmanager
def acting_as(actor: str):
    """Attribute what the block changes to ``actor`` (the CLI's operator, a scheduled step)."""
    previous = g.get("actor")
    g.actor = actor
    try:
        yield
    finally:
        g.actor = previous

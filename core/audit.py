"""The audit log: append-only, tenant-owned, written in the transaction of the change."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import utcnow
from core.db import (
    CantonVisible,
    Scope,
    TenantScoped,
    UTCDateTime,
    append_only,
    current_scope,
    db,
    enter_scope,
    identity_ref,
    leave_scope,
    scoped_to,
    uuid_pk,
)


class AuditEvent(TenantScoped, db.Model):
    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(200))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)


append_only(AuditEvent, what="the audit log is")


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


def record_at_once(action: str, *, tenant_id: int, object_type: str | None = None, object_id: object = None,
                   detail: dict | None = None) -> None:
    """Record an event in a transaction of its own, committed now.

    For a refusal that must stay on record although the caller's transaction is
    rolled back (an infected upload).  Call it before the caller's transaction
    writes: on SQLite a second writer waits for the first.
    """
    token = enter_scope(Scope(tenant_id=tenant_id))  # no flush of the caller's pending changes
    try:
        with Session(db.engine) as session:
            session.add(AuditEvent(tenant_id=tenant_id, actor=current_actor(), action=action, object_type=object_type,
                                   object_id=None if object_id is None else str(object_id), detail=detail or {}))
            session.commit()
    finally:
        leave_scope(token)


@contextlib.contextmanager
def acting_as(actor: str):
    """Attribute what the block changes to ``actor`` (the CLI's operator, a scheduled step)."""
    previous = g.get("actor")
    g.actor = actor
    try:
        yield
    finally:
        g.actor = previous


# -- records a module marks sensitive --------------------------------------------------------


class Sensitive:
    """Mixin for tenant-owned models whose every read and change is audited (Fordern's cases above all).

    Changes are recorded in the transaction that makes them; reads are recorded
    when the transaction commits, and at the end of a request that changed nothing.
    """


@event.listens_for(Sensitive, "load", propagate=True)
def _note_sensitive_read(target, context) -> None:
    reads = context.session.info.setdefault("sensitive_reads", set())
    reads.add((target.tenant_id, type(target).__tablename__, identity_ref(target)))


@event.listens_for(Session, "before_flush")
def _audit_sensitive_changes(session, flush_context, instances) -> None:
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Sensitive) or (action == "update" and not session.is_modified(obj)):
                continue
            state = sa.inspect(obj)
            changed = sorted(a.key for a in state.attrs if a.history.has_changes()) if action == "update" else []
            session.add(AuditEvent(
                tenant_id=obj.tenant_id, actor=current_actor(), action=f"sensitive.{action}",
                object_type=type(obj).__tablename__, object_id=identity_ref(obj), detail={"fields": changed},
            ))


def _grouped(reads, width: int) -> dict[tuple, list[str]]:
    """Reads (key..., object id) grouped by their first ``width`` parts: the ids read of each group, sorted."""
    groups: dict[tuple, list[str]] = {}
    for read in sorted(reads):
        groups.setdefault(read[:width], []).append(read[width])
    return groups


def _read_event(tenant_id: int, action: str, object_type: str, ids: list[str], detail: dict) -> AuditEvent:
    """One record for every read of one kind of record in one transaction (a list page reads fifty cases).

    A single read names its object; several name none and list them in ``detail["ids"]``.
    """
    if len(ids) > 1:
        detail = {**detail, "ids": ids, "count": len(ids)}
    return AuditEvent(tenant_id=tenant_id, actor=current_actor(), action=action, object_type=object_type,
                      object_id=ids[0] if len(ids) == 1 else None, detail=detail)


@event.listens_for(Session, "before_commit")
def _audit_sensitive_reads(session) -> None:
    reads = session.info.pop("sensitive_reads", ())
    if not reads:
        return
    # The reads may have happened in other scopes than the current one (a canton view walking
    # tenants): their records are the system's own writes, each into the log of the row's tenant.
    with scoped_to(Scope(all_tenants=True)):
        session.add_all(_read_event(tenant_id, "sensitive.read", table, ids, {})
                        for (tenant_id, table), ids in _grouped(reads, 2).items())


def commit_sensitive_reads(response):
    """After a request that only read: its reads of sensitive records are recorded all the same."""
    if db.session.info.get("sensitive_reads") or db.session.info.get("canton_reads"):
        db.session.commit()
    return response


# -- what the canton reads of a tenant's CantonVisible rows ---------------------------------------


def _note_canton_read(target, context, *_attrs) -> None:
    reader = current_scope().tenant_id
    if reader is not None and reader != target.tenant_id:
        reads = context.session.info.setdefault("canton_reads", set())
        reads.add((reader, target.tenant_id, *target.audit_ref()))


event.listen(CantonVisible, "load", _note_canton_read, propagate=True)
event.listen(CantonVisible, "refresh", _note_canton_read, propagate=True)


@event.listens_for(Session, "before_commit")
def _audit_canton_reads(session) -> None:
    """The reads of another tenant's CantonVisible rows: recorded in the reader's log and in the owner's."""
    reads = session.info.pop("canton_reads", ())
    if not reads:
        return
    with scoped_to(Scope(all_tenants=True)):
        for (reader, owner, object_type), ids in _grouped(reads, 3).items():
            for tenant_id, detail in ((reader, {"tenant_id": owner}), (owner, {"by_tenant_id": reader})):
                session.add(_read_event(tenant_id, "canton.read", object_type, ids, detail))


# -- the log as people read it ----------------------------------------------------------------------------

_LEGACY_REF = re.compile(r"UUID\('([0-9a-f-]{36})'\)|'([^']*)'|(-?\d+)")


def action_label(action: str) -> str:
    """The action in the reader's language, as core or its module declares it (``Manifest.audit_actions``)."""
    label = current_app.extensions["plugins"].audit_actions.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str | None) -> str:
    if not object_type:
        return ""
    label = current_app.extensions["plugins"].audit_objects.get(object_type)
    return str(label) if label is not None else object_type


def clean_ref(object_id: str | None) -> str:
    """An object id as stored; older records hold a Python tuple (``(UUID('…'),)``): its values."""
    if not object_id or not object_id.startswith("("):
        return object_id or ""
    return "/".join(next(part for part in match.groups() if part is not None)
                    for match in _LEGACY_REF.finditer(object_id))


def read_count(event: AuditEvent) -> int:
    """How many records a grouped read names (1 for any other event)."""
    return int((event.detail or {}).get("count") or 1)

"""The audit log as people read it: names, labels in their language, no ids where a name exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from core import actors, audit
from core.access import declared_permissions, role_label
from core.db import db
from core.tenancy import Tenant


@dataclass(frozen=True)
class Entry:
    """One row of the audit page."""

    occurred_at: datetime
    tenant: str
    actor: str
    action: str  # its label
    code: str  # the action as stored (support, the filter)
    object: str
    detail: str


def entries(rows) -> list[Entry]:
    """``(AuditEvent, tenant slug)`` rows as the page shows them; names looked up once for the page."""
    events = [event for event, _slug in rows]
    actors.prefetch([*(e.actor for e in events),
                     *(f"user:{e.object_id}" for e in events if e.object_type == "user" and e.object_id)])
    tenants = _tenant_names(events, {slug for _event, slug in rows})
    return [Entry(event.occurred_at, tenants.get(slug, slug), actors.label(event.actor),
                  audit.action_label(event.action), event.action, _object_text(event), _detail_text(event, tenants))
            for event, slug in rows]


def _tenant_names(events, slugs: set[str]) -> dict:
    """Tenant slug and id -> name, for the tenant column and the canton's reads."""
    ids = {value for e in events for key, value in (e.detail or {}).items()
           if key in ("tenant_id", "by_tenant_id") and isinstance(value, int)}
    found = db.session.execute(sa.select(Tenant.id, Tenant.slug, Tenant.name)
                               .where(sa.or_(Tenant.id.in_(ids), Tenant.slug.in_(slugs)))).all()
    return {**{slug: name for _id, slug, name in found}, **{id_: name for id_, _slug, name in found}}


def _object_text(event: audit.AuditEvent) -> str:
    kind, ref = audit.object_label(event.object_type), audit.clean_ref(event.object_id)
    count = audit.read_count(event)
    if count > 1:
        return f"{kind}: " + ngettext("%(num)s Eintrag", "%(num)s Einträge", count)
    if event.object_type == "user" and ref:
        return actors.label(f"user:{ref}")
    if event.object_type == "module" and ref:
        manifest = current_app.extensions["plugins"].module(ref)
        return str(manifest.title) if manifest else ref
    if event.object_type == "event" and ref:
        event_type = current_app.extensions["plugins"].event_types.get(ref)
        return f"{kind} «{event_type.label}»" if event_type else f"{kind} {ref}"
    if event.object_type == "role" and ref:
        return f"{kind} «{role_label(ref)}»"
    if len(ref) == 36 and ref.count("-") == 4:
        ref = ref[:8]  # a UUID: its start is enough to tell two apart on one page (the CSV has it whole)
    return f"{kind} {ref}".strip()


def _detail_text(event: audit.AuditEvent, tenants: dict) -> str:
    """The details that mean something to a reader; record ids and raw values stay in the CSV."""
    detail, parts = event.detail or {}, []
    if "tenant_id" in detail and event.action == "canton.read":
        parts.append(_("Mandant: %(name)s", name=tenants.get(detail["tenant_id"], detail["tenant_id"])))
    if "by_tenant_id" in detail:
        parts.append(_("durch: %(name)s", name=tenants.get(detail["by_tenant_id"], detail["by_tenant_id"])))
    if detail.get("role"):
        parts.append(_("Rolle: %(role)s", role=role_label(detail["role"])))
    if detail.get("permission"):
        permission = declared_permissions().get(detail["permission"])
        parts.append(_("Berechtigung: %(permission)s", permission=permission.label if permission else
                       detail["permission"]))
    if detail.get("kind") and event.action == "job.enqueue":
        from core import jobs

        kind = jobs.kinds().get(detail["kind"])
        parts.append(str(kind.title) if kind else detail["kind"])
    if detail.get("fields") and event.action.endswith("update"):  # what changed (a creation fills them all)
        parts.append(_("Felder: %(fields)s", fields=", ".join(map(str, detail["fields"]))))
    return " · ".join(parts)

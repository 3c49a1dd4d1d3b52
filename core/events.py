"""Module events: a module declares what it emits, another subscribes; neither imports the other.

A module declares its event types in its manifest (``Manifest.events``, each a
:class:`EventType` with the payload's fields) and the events of others it takes
(``Manifest.subscribes``).  :func:`emit` delivers an event to the ``handle_event``
hook of every module that subscribes to it and is active in the tenant, in that
tenant's scope and in the caller's transaction: what a subscriber records commits or
rolls back with the change that caused it.  Nothing here needs a request, so a job,
the API and the CLI emit alike.

The payload is plain JSON (strings, numbers, lists, dicts: ids as strings), so that
its shape is the whole contract between the modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core import audit, clock
from core.plugins import EventType
from core.tenancy import Tenant, tenant_scope


@dataclass(frozen=True)
class Event:
    """One emitted event, as a subscriber receives it."""

    type: str
    tenant_id: int
    payload: dict
    actor: str
    occurred_at: datetime = field(default_factory=clock.utcnow)


class EventError(ValueError):
    """An event that its declaration does not allow: a programming error, not a user's."""


def _registry():
    from core import modules

    return modules.registry()


def declared(type_id: str) -> EventType:
    event_type = _registry().event_types.get(type_id)
    if event_type is None:
        raise EventError(f"event {type_id!r} is declared by no installed module")
    return event_type


def subscribers(tenant: Tenant, type_id: str) -> list[str]:
    """The ids of the modules active in ``tenant`` that take events of ``type_id``."""
    from core import modules

    active = modules.active_modules(tenant)
    return [m for m in _registry().subscriptions.get(type_id, ()) if m in active or _registry().is_core(m)]


def emit(tenant: Tenant, type_id: str, **payload) -> list:
    """Deliver an event to its subscribers active in ``tenant``; returns what they answered (not None).

    The payload must hold exactly the declared fields.  The delivery is audited (the
    event's type and who took it, never the payload, which may be personal).
    """
    event_type = declared(type_id)
    missing, extra = set(event_type.fields) - set(payload), set(payload) - set(event_type.fields)
    if missing or extra:
        raise EventError(f"event {type_id!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    receivers = subscribers(tenant, type_id)
    event = Event(type_id, tenant.id, payload, audit.current_actor())
    with tenant_scope(tenant):
        answers = _registry().hook_for(receivers).handle_event(tenant=tenant, event=event) if receivers else []
        audit.record("event.emitted", object_type="event", object_id=type_id, detail={"delivered_to": receivers})
    return [answer for answer in answers if answer is not None]

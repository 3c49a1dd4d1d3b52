"""The right of access: everything the platform holds about one person, as one file, audited.

Core contributes the identity; every installed module (active or not: a suspended module still
holds data) its own records through ``person_export``.  The file is JSON, readable by people and
machines, with the sections titled in the user's language.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

from flask_babel import gettext as _

from core import audit, clock, modules
from core.people.models import Person
from core.tenancy import Tenant, tenant_scope

IDENTITY_FIELDS = ("official_name", "first_name", "sex", "date_of_birth", "nationalities", "languages",
                   "street", "house_number", "postal_code", "town", "municipality_bfs", "household_key",
                   "local_person_id", "vn", "created_at", "updated_at", "anonymised_on")


def plain(value):
    """A value as the export's JSON holds it: dates ISO, ids as text (modules use it for their sections)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def gather(tenant: Tenant, person: Person) -> dict:
    """The export's content: core's identity first, then each module's section."""
    with tenant_scope(tenant):
        sections = {_("Person"): {field: plain(getattr(person, field)) for field in IDENTITY_FIELDS}}
        for contribution in reversed(modules.registry().hook.person_export(tenant=tenant, person=person)):
            sections.update(contribution or {})
    return {"tenant": tenant.name, "person_id": str(person.id), "exported_on": clock.today().isoformat(),
            "sections": sections}


def export(tenant: Tenant, person: Person) -> bytes:
    """The file, recorded in the audit log (who exported whom; not what)."""
    content = json.dumps(gather(tenant, person), ensure_ascii=False, indent=2, default=plain).encode()
    with tenant_scope(tenant):
        audit.record("person.export", object_type="person", object_id=person.id)
    return content

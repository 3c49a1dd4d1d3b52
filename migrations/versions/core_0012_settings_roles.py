"""Redact the tenants' OpenID Connect client secrets from the audit log.

Until settings could be marked secret, ``set_setting`` recorded every new value in its
``tenant.setting`` audit event, ``core.oidc_client_secret`` in clear text.  A data protection
officer would have those copies gone: the secret stays in ``tenant_settings`` (the login
needs it), its audit events keep who changed it and when, with the value replaced by
``***`` (an empty value, a clearing, stays empty) as new events record it.

The audit log is append-only: the ORM refuses updates of ``AuditEvent``.  This one
correction is plain SQL in a migration, outside the ORM, run once by the database owner.
It names the key: no other setting was secret before this revision (later secrets
are never written in clear).  Module roles and typed settings need no change of the schema.

Revision ID: core_0012_settings_roles
Revises: core_0011_submissions
"""

import json

import sqlalchemy as sa
from alembic import op

from core import rls

revision = 'core_0012_settings_roles'
down_revision = 'core_0011_submissions'
branch_labels = None
depends_on = None

SECRET_KEYS = ("core.oidc_client_secret",)
REDACTED = "***"


def upgrade():
    bind = op.get_bind()
    rls.data_migration(op)  # row-level security is forced on audit_events, for its owner too
    events = sa.table("audit_events", sa.column("tenant_id"), sa.column("id"), sa.column("action"),
                      sa.column("object_id"), sa.column("detail", sa.JSON))
    rows = bind.execute(
        sa.select(events.c.tenant_id, events.c.id, events.c.detail)
        .where(events.c.action == "tenant.setting", events.c.object_id.in_(SECRET_KEYS))
    ).all()
    for tenant_id, event_id, detail in rows:
        detail = json.loads(detail) if isinstance(detail, str) else dict(detail or {})
        if detail.get("value") in ("", None, REDACTED):
            continue
        detail["value"] = REDACTED
        bind.execute(
            events.update().where(events.c.tenant_id == tenant_id, events.c.id == event_id).values(detail=detail)
        )


def downgrade():
    pass  # the secrets are gone from the log for good

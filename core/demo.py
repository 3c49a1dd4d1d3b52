"""Demo data for ``make run``: people for the development login, one per typical role, and the modules' records."""

from __future__ import annotations

import sqlalchemy as sa

from core import admin, audit, modules
from core.auth import DEV_ISSUER, User
from core.db import db
from core.tenancy import Tenant, TenantState, get_tenant, tenant_scope

PEOPLE = [
    ("kathrin", "Kathrin Kaufmann", "kathrin.kaufmann@so.example", [("kanton", "canton_admin")]),
    ("fabio", "Fabio Bernasconi", "fabio.bernasconi@so.example", [("kanton", "canton_office")]),
    ("sabine", "Sabine Studer", "sabine.studer@so.example", [("kanton", "fordern.canton_reviewer")]),
    ("greta", "Greta Gerber", "greta.gerber@grenchen.example",
     [("grenchen", "integration_officer"), ("grenchen", "tenant_admin")]),
    ("eduard", "Eduard Emmenegger", "eduard.emmenegger@grenchen.example", [("grenchen", "residents_services")]),
    ("regula", "Regula Rüfenacht", "regula.ruefenacht@buchegg.example",
     [("buchegg-lueterkofen", "integration_officer"), ("balsthal", "integration_officer")]),
]


def load_users() -> list[str]:
    """Create the demo people and their roles (idempotent); returns what changed."""
    changes = []
    for subject, name, email, memberships in PEOPLE:
        user = db.session.scalar(sa.select(User).where(User.issuer == DEV_ISSUER, User.subject == subject))
        if user is None:
            user = User(issuer=DEV_ISSUER, subject=subject, name=name, email=email)
            db.session.add(user)
            db.session.flush()
            changes.append(f"+ {name}")
        for slug, role in memberships:
            admin.add_member(get_tenant(slug), user, role)
    return changes


def load_module_data() -> list[str]:
    """Each active module's demonstration records in each tenant (the ``demo_data`` hook)."""
    lines = []
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.state == TenantState.ACTIVE).order_by(Tenant.slug))
    for tenant in tenants.all():
        with audit.acting_as("system:demo"), tenant_scope(tenant):
            for result in modules.tenant_hooks(tenant).demo_data(tenant=tenant):
                lines += [f"{tenant.slug}: {line}" for line in result or ()]
    db.session.commit()
    return lines

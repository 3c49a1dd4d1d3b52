"""The tenants × modules matrix: each tenant with the communes it serves on a day and each module's state.

One function, :func:`build_matrix`, for the canton's rollout dashboard, its export, the canton's
tenant list and ``flask rollout status``.  It reads across tenants, so only inside
:func:`core.tenancy.canton_scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from core import i18n, modules, reports
from core.db import db
from core.errors import UserError
from core.modules import ModuleActivation
from core.plugins import Manifest
from core.tenancy import Municipality, Tenant, TenantKind, TenantState, canton_scope


@dataclass
class MatrixRow:
    tenant: Tenant
    communes: list[Municipality]
    states: dict[str, ModuleActivation]  # by module id; a module missing here is not entitled


@dataclass
class Matrix:
    day: date
    district: str | None
    modules: list[Manifest]
    rows: list[MatrixRow]
    uncovered: list[Municipality]  # the canton's communes no active tenant serves on ``day``
    districts: list[str]


def districts(day: date) -> list[str]:
    """The canton's districts (Bezirke) with communes on ``day``."""
    return i18n.sorted_by_name(db.session.scalars(
        sa.select(Municipality.district).distinct().where(
            Municipality.valid_from <= day, sa.or_(Municipality.valid_to.is_(None), Municipality.valid_to >= day))
    ))


def check_district(district: str | None, day: date) -> str | None:
    known = districts(day)
    if district and district not in known:
        raise UserError(_("Unbekannter Bezirk «%(district)s» (bekannt: %(known)s).",
                          district=district, known=", ".join(known)))
    return district or None


def build_matrix(day: date, district: str | None = None, *, include_archived: bool = False,
                 include_canton: bool = False, reason: str = "rollout matrix") -> Matrix:
    """Every tenant with the communes it serves on ``day`` and each module's state, in three queries.

    ``district`` keeps the tenants serving a commune of that district (and its uncovered communes).
    """
    district = check_district(district, day)
    with canton_scope(reason):
        query = sa.select(Tenant).order_by(Tenant.kind)
        if not include_canton:
            query = query.where(Tenant.kind != TenantKind.CANTON)
        if not include_archived:
            query = query.where(Tenant.state == TenantState.ACTIVE)
        tenants = sorted(db.session.scalars(query), key=lambda t: (t.kind, i18n.sort_key(t.name)))
        states = reports.activations_by_tenant()
        served = reports.municipalities_by_tenant(day)
    rows = [
        MatrixRow(tenant, served[tenant.id], states[tenant.id])
        for tenant in tenants
        if district is None or any(m.district == district for m in served[tenant.id])
    ]
    active = _active_ids()
    covered = {m.bfs_number for tenant_id, found in served.items() if tenant_id in active for m in found}
    uncovered = [
        m for m in i18n.sorted_by_name(db.session.scalars(sa.select(Municipality)), lambda m: m.name)
        if m.valid_on(day) and m.bfs_number not in covered and district in (None, m.district)
    ]
    return Matrix(day, district, modules.registry().modules, rows, uncovered, districts(day))


def _active_ids() -> set[int]:
    return set(db.session.scalars(sa.select(Tenant.id).where(Tenant.state == TenantState.ACTIVE)))


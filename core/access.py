"""Who may do what: roles per tenant, the permissions modules declare, and the check on every route.

Every view declares what it needs in one line: ``@requires("informieren.newcomers.read")``,
``@authenticated`` (any logged-in user), ``@public``, or (API views) ``@api_endpoint``
from :mod:`core.api`.  A view that declares nothing is refused (and a test
lists every route so that none does).  In a tenant, a user who is not a member
gets 404 (the tenant's pages do not exist for them); a member whose roles lack
the permission gets 403.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import Forbidden

from core import audit
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db
from core.errors import UserError
from core.tenancy import Tenant, TenantKind, tenant_scope


class Role(StrEnum):
    CANTON_ADMIN = "canton_admin"
    CANTON_OFFICE = "canton_office"
    TENANT_ADMIN = "tenant_admin"
    RESIDENTS_SERVICES = "residents_services"
    INTEGRATION_OFFICER = "integration_officer"
    READ_ONLY = "read_only"


ROLE_LABELS = {
    Role.CANTON_ADMIN: _l("Administration Kanton"),
    Role.CANTON_OFFICE: _l("Fachstelle Integration"),
    Role.TENANT_ADMIN: _l("Administration Mandant"),
    Role.RESIDENTS_SERVICES: _l("Einwohnerdienste"),
    Role.INTEGRATION_OFFICER: _l("Integrationsbeauftragte/r"),
    Role.READ_ONLY: _l("Nur lesen"),
}
CANTON_ROLES = (Role.CANTON_ADMIN, Role.CANTON_OFFICE, Role.READ_ONLY)
COMMUNE_ROLES = (Role.TENANT_ADMIN, Role.RESIDENTS_SERVICES, Role.INTEGRATION_OFFICER, Role.READ_ONLY)
ALL_ROLES = tuple(Role)


def declared_roles() -> dict:
    """The roles modules declare (``core.plugins.RoleDeclaration``), by id."""
    return current_app.extensions["plugins"].roles


def _role_fits(role, tenant: Tenant) -> bool:
    return not role.commune_only if tenant.is_canton else not role.canton_only


def known_roles(tenant: Tenant) -> tuple[str, ...]:
    """Every role a member of ``tenant`` may hold: the fixed ones of its kind and the declared ones that fit it.

    A declared role of a module suspended in the tenant stays known, so that its members keep it.
    """
    fixed = CANTON_ROLES if tenant.kind == TenantKind.CANTON else COMMUNE_ROLES
    return (*fixed, *(r.id for r in declared_roles().values() if _role_fits(r, tenant)))


def roles_for(tenant: Tenant) -> tuple[str, ...]:
    """The roles that can be given in ``tenant``: the fixed ones of its kind (canton roles only in the
    canton's tenant) and the declared ones that fit it, of core's plugins and the modules active there."""
    from core import modules

    registry = current_app.extensions["plugins"]
    active = modules.active_modules(tenant)
    offered = {r.id for m in registry.manifests.values() if m.always_on or m.id in active for r in m.roles}
    return tuple(role for role in known_roles(tenant) if role in ROLE_LABELS or role in offered)


def role_labels() -> dict:
    """Every role's label: the fixed roles' and the declared ones'."""
    return {**ROLE_LABELS, **{r.id: r.label for r in declared_roles().values()}}


def role_label(role: str) -> str:
    return str(role_labels().get(role, role))


class Membership(TenantScoped, db.Model):
    """A user's role in a tenant; ``source`` is ``manual`` or ``claim`` (derived at login)."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")
    granted_by: Mapped[str] = mapped_column(sa.String(200))
    granted_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class RoleGrant(TenantScoped, db.Model):
    """A tenant's adjustment of a role's default permissions: granted or withdrawn."""

    __tablename__ = "role_grants"

    role: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    permission: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    granted: Mapped[bool]


# -- permissions -------------------------------------------------------------------


def declared_permissions(tenant: Tenant | None = None) -> dict:
    """Every permission of core and the installed modules, by id (those that exist in ``tenant``)."""
    return {
        p.id: p
        for m in current_app.extensions["plugins"].manifests.values()
        for p in m.permissions
        if tenant is None or (not p.commune_only if tenant.is_canton else not p.canton_only)
    }


def role_permissions(tenant: Tenant) -> dict[str, set[str]]:
    """Each role's permissions in ``tenant``: the declared defaults with the tenant's adjustments."""
    grants: dict[str, set[str]] = {role: set() for role in (*ALL_ROLES, *declared_roles())}
    for role in declared_roles().values():
        grants[role.id].update(role.permissions)
    for permission in declared_permissions(tenant).values():
        for role in permission.roles:
            grants[role].add(permission.id)
    with tenant_scope(tenant):
        for row in db.session.scalars(sa.select(RoleGrant)):
            if row.role in grants:  # not a role of a module since uninstalled
                (grants[row.role].add if row.granted else grants[row.role].discard)(row.permission)
    existing = declared_permissions(tenant)
    return {role: {p for p in granted if p in existing} for role, granted in grants.items()}


def set_grant(tenant: Tenant, role: str, permission: str, granted: bool) -> None:
    """Grant or withdraw a permission for a role in ``tenant`` (audited)."""
    if role not in roles_for(tenant) or permission not in declared_permissions(tenant):
        raise UserError(_("Diese Berechtigung gibt es für diese Rolle hier nicht."))
    with tenant_scope(tenant):
        row = db.session.get(RoleGrant, (tenant.id, role, permission)) or RoleGrant(role=role, permission=permission)
        row.granted = granted
        db.session.add(row)
        audit.record(
            "role.grant" if granted else "role.withdraw",
            object_type="role",
            object_id=role,
            detail={"permission": permission},
        )


def holders(tenant: Tenant, permission: str):
    """The members of ``tenant`` who hold ``permission`` and have an e-mail address (to notify them)."""
    from core.auth import User

    roles = [role for role, granted in role_permissions(tenant).items() if permission in granted]
    with tenant_scope(tenant):
        return db.session.scalars(
            sa.select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.role.in_(roles), User.email != "").distinct().order_by(User.id)
        ).all()


def member_roles(user_id: int, tenant: Tenant) -> set[str]:
    with tenant_scope(tenant):
        return set(db.session.scalars(sa.select(Membership.role).where(Membership.user_id == user_id)))


def permissions_of(roles: set[str], tenant: Tenant) -> set[str]:
    grants = role_permissions(tenant)
    return set().union(*(grants.get(role, set()) for role in roles))


def can(permission: str) -> bool:
    """Whether the current user holds ``permission`` in the current tenant."""
    return permission in g.get("permissions", ())


# -- declaring what a view needs ---------------------------------------------------------

PUBLIC = "public"
AUTHENTICATED = "authenticated"
API = "api"


def requires(permission: str):
    """Declare the permission a view needs in the current tenant."""

    def mark(view):
        view.required_permission = permission
        return view

    return mark


public = requires(PUBLIC)
authenticated = requires(AUTHENTICATED)


def required_permission(endpoint: str | None) -> str | None:
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "required_permission", None)


def authorize() -> object:
    """Run before every request: let the declared permission decide."""
    if request.endpoint is None:
        return None  # routing failed: 404 or 405 follows
    needed = required_permission(request.endpoint)
    if needed in (PUBLIC, API):
        return None
    if needed is None:
        abort(403)  # fail closed: a route that declares nothing is nobody's
    user = g.get("user")
    if user is None:
        tenant = g.get("tenant")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?"), tenant=tenant and tenant.slug))
    tenant = g.get("tenant")
    if tenant is None:
        if needed != AUTHENTICATED:
            abort(403)
        return None
    roles = member_roles(user.id, tenant)
    if not roles or (needed != AUTHENTICATED and needed not in declared_permissions(tenant)):
        abort(404)  # not a member here, or a canton page in a commune's tenant
    g.permissions = permissions_of(roles, tenant)
    if needed != AUTHENTICATED and needed not in g.permissions:
        forbid(needed)
    return None


# -- a refusal that says what is missing ---------------------------------------------------------


class MissingPermission(Forbidden):
    """403 for a member who lacks ``permission``: the error page names it and whom to ask."""

    def __init__(self, permission: str):
        super().__init__()
        self.permission = permission


def forbid(permission: str):
    """Refuse the request for want of ``permission`` (a 403 that names it)."""
    raise MissingPermission(permission)


def missing_permission_help(permission: str, tenant: Tenant) -> dict:
    """What the 403 page says: the permission's label, the roles that hold it here, the people to ask.

    The people to ask are the members who manage roles in this tenant (its administrators; in the
    canton's tenant the canton's); a tenant without any is told to ask the canton's integration office.
    """
    from core.auth import User

    declared = declared_permissions(tenant).get(permission)
    available = set(roles_for(tenant))
    grants = {role: granted for role, granted in role_permissions(tenant).items() if role in available}
    managers = [role for role, granted in grants.items() if "core.members.manage" in granted]
    with tenant_scope(tenant):
        names = db.session.scalars(
            sa.select(User.name).join(Membership, Membership.user_id == User.id)
            .where(Membership.role.in_(managers), User.name != "").distinct().order_by(User.name)
        ).all()
    return {
        "label": str(declared.label) if declared else permission,
        "roles": sorted(role_label(role) for role, granted in grants.items() if permission in granted),
        "admins": list(names),
    }


def init_app(app) -> None:
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["can"] = can

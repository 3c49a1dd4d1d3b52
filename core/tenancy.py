"""Tenants, the communes they serve, and resolving the tenant once per request.

A tenant is the canton, one commune, or a regional group of communes.  Its
routes live under ``/<tenant-slug>/``; :func:`init_app` pulls the slug out of
every URL in one place, loads the tenant (404 when unknown or archived), sets
``g.tenant`` and the database scope, and puts the slug back into ``url_for``.
A configured host name may stand for a slug (``TENANT_HOSTS``).
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask import abort, current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, make_transient_to_detached, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.local import LocalProxy

from core import audit, i18n
from core.clock import utcnow
from core.db import Scope, TenantScoped, UTCDateTime, db, enter_scope, leave_scope, scoped_to
from core.errors import NotFound, UserError


class TenantKind(StrEnum):
    CANTON = "canton"
    COMMUNE = "commune"
    REGION = "region"


class TenantState(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {"static", "healthz", "api", "auth", "login", "logout", "language", "admin", "favicon.ico", "robots.txt"}
)


class Tenant(db.Model):
    """The tenant registry (not tenant-owned itself: the canton provisions it)."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(20), default=TenantState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every module change, so per-process caches of module states stay true.
    revision: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('canton', 'commune', 'region')", name="kind"),
        sa.CheckConstraint("state IN ('active', 'archived')", name="state"),
    )

    @property
    def is_canton(self) -> bool:
        return self.kind == TenantKind.CANTON

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class Municipality(db.Model):
    """Reference data: a commune (Einwohnergemeinde) of the canton, by its BFS number."""

    __tablename__ = "municipalities"

    bfs_number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    district: Mapped[str] = mapped_column(sa.String(100))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    successor_bfs_number: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.bfs_number"))

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def commune_name(bfs_number: int | None) -> str:
    """A commune as messages name it: "Grenchen", or "BFS 1234" for one outside the canton's directory."""
    if bfs_number is None:
        return ""
    found = db.session.get(Municipality, bfs_number)
    return found.name if found is not None else f"BFS {bfs_number}"


class TenantMunicipality(TenantScoped, db.Model):
    """A commune a tenant serves, from ``valid_from`` until ``valid_to`` (inclusive)."""

    __tablename__ = "tenant_municipalities"

    bfs_number: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.bfs_number"), primary_key=True)
    valid_from: Mapped[date] = mapped_column(primary_key=True)
    valid_to: Mapped[date | None]

    municipality: Mapped[Municipality] = relationship(lazy="joined")

    @classmethod
    def serving_on(cls, day: date):
        """The SQL condition: the link is valid on ``day``."""
        return sa.and_(cls.valid_from <= day, sa.or_(cls.valid_to.is_(None), cls.valid_to >= day))


def _load_current_tenant() -> Tenant | None:
    return g.get("tenant") if has_request_context() else None


current_tenant: Tenant | None = LocalProxy(_load_current_tenant)  # type: ignore[assignment]


# -- the tenant of a request, cached per process --------------------------------------
#
# Resolving the tenant must not cost a query per request (see bench/).  Active
# tenants are kept for TENANT_CACHE_SECONDS; a change to a tenant row clears
# the cache of this process at commit, other processes see it within the TTL.

_cache: dict[str, tuple[float, Tenant]] = {}
_COLUMNS = [column.key for column in Tenant.__table__.columns]


def resolve_tenant(slug: str) -> Tenant:
    """The active tenant with this slug, usually without a query.

    The result is a detached snapshot, shared by the requests of this process:
    read it, never change it or add it to a session; to change a tenant, load
    it with :func:`get_tenant` (module changes use :func:`bump_revision`).
    """
    hit = _cache.get(slug)
    now = time.monotonic()
    if hit is None or hit[0] <= now:
        loaded = get_tenant(slug)
        snapshot = Tenant(**{c: getattr(loaded, c) for c in _COLUMNS})
        make_transient_to_detached(snapshot)
        hit = _cache[slug] = (now + current_app.config["TENANT_CACHE_SECONDS"], snapshot)
    return hit[1]


def bump_revision(tenant: Tenant) -> None:
    """Count a change of the tenant's modules, so that cached module states are not used again."""
    db.session.execute(
        sa.update(Tenant).where(Tenant.id == tenant.id).values(revision=Tenant.revision + 1),
        execution_options={"synchronize_session": False},
    )
    set_committed_value(tenant, "revision", tenant.revision + 1)
    db.session.info["tenants_changed"] = True


def forget_tenants() -> None:
    _cache.clear()


@event.listens_for(Tenant, "after_update")
def _tenant_changed(mapper, connection, target) -> None:
    sa.inspect(target).session.info["tenants_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_tenants(session) -> None:
    if session.info.pop("tenants_changed", False):
        forget_tenants()


def get_tenant(slug: str, *, include_archived: bool = False) -> Tenant:
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None or (tenant.state == TenantState.ARCHIVED and not include_archived):
        raise NotFound(_("Unbekannter Mandant: %(slug)s", slug=slug))
    return tenant


def canton_tenant() -> Tenant:
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.kind == TenantKind.CANTON).order_by(Tenant.id))
    if tenant is None:
        raise NotFound(_("Der Mandant des Kantons ist nicht eingerichtet."))
    return tenant


@contextlib.contextmanager
def tenant_scope(tenant: Tenant):
    """Run the block as ``tenant`` (jobs, CLI commands)."""
    with scoped_to(Scope(tenant_id=tenant.id)):
        yield tenant


@contextlib.contextmanager
def canton_scope(reason: str):
    """Read across all tenants: only for the canton, and always audited.

    In a request the current tenant must be the canton's; outside requests (CLI,
    jobs) the operator of the platform acts for the canton.
    """
    if has_request_context() and not (current_tenant and current_tenant.is_canton):
        abort(404)
    canton = canton_tenant()
    with scoped_to(Scope(tenant_id=canton.id, all_tenants=True)):
        audit.record("canton_scope.enter", detail={"reason": reason}, tenant_id=canton.id)
        yield canton


def validate_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug or "") or slug in RESERVED_SLUGS:
        raise UserError(
            _(
                "Ungültiges Kürzel «%(slug)s»: erlaubt sind Kleinbuchstaben, Ziffern und Bindestriche "
                "(höchstens 63 Zeichen); reserviert sind %(reserved)s.",
                slug=slug,
                reserved=", ".join(sorted(RESERVED_SLUGS)),
            )
        )


def served_links(tenant: Tenant, day: date) -> list[TenantMunicipality]:
    """The tenant's links to the communes it serves on ``day``."""
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(TenantMunicipality).where(TenantMunicipality.serving_on(day))).all()


def served_municipalities(tenant: Tenant, day: date) -> list[Municipality]:
    return i18n.sorted_by_name((link.municipality for link in served_links(tenant, day)), lambda m: m.name)


# -- per request -------------------------------------------------------------


def _pull_tenant(endpoint, values) -> None:
    if not values or "tenant" not in values:
        return
    slug = values.pop("tenant")
    try:
        tenant = resolve_tenant(slug)
    except NotFound:
        abort(404)
    g.tenant = tenant
    g.tenant_scope_token = enter_scope(Scope(tenant_id=tenant.id))


def _push_tenant(endpoint, values) -> None:
    if "tenant" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        tenant = g.get("tenant")
        if tenant is not None:
            values["tenant"] = tenant.slug


def _leave_tenant(exc) -> None:
    token = g.pop("tenant_scope_token", None)
    if token is not None:
        leave_scope(token)


class HostTenantMiddleware:
    """Serve a tenant on its own host name: ``/x`` on a mapped host becomes ``/<slug>/x``."""

    def __init__(self, wsgi_app, hosts: dict[str, str]):
        self.wsgi_app = wsgi_app
        self.hosts = {host.lower(): slug for host, slug in hosts.items()}

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "").split(":")[0].lower()
        slug = self.hosts.get(host)
        path = environ.get("PATH_INFO", "")
        if slug and not (path == f"/{slug}" or path.startswith(f"/{slug}/")) and not path.startswith("/static/"):
            environ["PATH_INFO"] = f"/{slug}{path}"
        return self.wsgi_app(environ, start_response)


def init_app(app) -> None:
    app.url_value_preprocessor(_pull_tenant)
    app.url_defaults(_push_tenant)
    app.teardown_request(_leave_tenant)
    if app.config["TENANT_HOSTS"]:
        app.wsgi_app = HostTenantMiddleware(app.wsgi_app, app.config["TENANT_HOSTS"])
    app.context_processor(lambda: {"current_tenant": g.get("tenant")})

"""Core's own features, registered as an ordinary (always-on) plugin."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.access import Role
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission, Setting

ALL = tuple(Role)
ADMINS = (Role.CANTON_ADMIN, Role.TENANT_ADMIN)

manifest = Manifest(
    id="core",
    title=_l("Plattform"),
    version="0.1.0",
    always_on=True,
    alembic_branch="core",
    permissions=(
        Permission("core.tenant.view", _l("Startseite des Mandanten sehen"), ALL),
        Permission("core.members.manage", _l("Mitglieder und Rollen verwalten"), ADMINS),
        Permission("core.audit.read", _l("Protokoll einsehen"), (*ADMINS, Role.CANTON_OFFICE)),
        Permission("core.tokens.manage", _l("API-Tokens verwalten"), ADMINS),
        Permission("core.tenants.manage", _l("Mandanten einrichten und archivieren"), (Role.CANTON_ADMIN,), True),
        Permission("core.modules.entitle", _l("Module freigeben und planen"), (Role.CANTON_ADMIN,), True),
        Permission("core.modules.activate", _l("Freigegebene Module ein- und ausschalten"), ADMINS),
        Permission("core.canton.read", _l("Daten aller Mandanten lesen (kantonale Sicht)"),
                   (Role.CANTON_ADMIN, Role.CANTON_OFFICE), True),
    ),
    settings=(
        # A commune with its own directory may bring its own OpenID Connect provider.
        Setting("core.oidc_issuer", "", _l("Eigener Identitätsanbieter (Issuer-URL)")),
        Setting("core.oidc_client_id", "", _l("Client-ID beim eigenen Identitätsanbieter")),
        Setting("core.oidc_client_secret", "", _l("Client-Secret beim eigenen Identitätsanbieter")),
        Setting("core.oidc_group_roles", {}, _l("Gruppen des eigenen Anbieters und ihre Rollen")),
    ),
    api_scopes=("core:read",),
    menu=(
        MenuEntry(_l("Übersicht"), "shell.tenant_home", "core.tenant.view"),
        MenuEntry(_l("Mitglieder"), "admin.members", "core.members.manage"),
        MenuEntry(_l("Protokoll"), "admin.audit_log", "core.audit.read"),
        MenuEntry(_l("API-Tokens"), "admin.tokens", "core.tokens.manage"),
    ),
)


def _check_database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _check_redis() -> None:
    url = current_app.config["REDIS_URL"]
    if url:
        import redis

        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()


@hookimpl
def health_checks():
    return {"database": _check_database, "redis": _check_redis}

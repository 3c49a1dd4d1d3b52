"""Core's own features, registered as an ordinary (always-on) plugin."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission

manifest = Manifest(
    id="core",
    title=_l("Plattform"),
    version="0.1.0",
    always_on=True,
    alembic_branch="core",
    permissions=(
        Permission("core.tenants.manage", _l("Mandanten einrichten und archivieren")),
        Permission("core.modules.entitle", _l("Module freigeben und planen")),
        Permission("core.modules.activate", _l("Freigegebene Module ein- und ausschalten")),
        Permission("core.canton.read", _l("Daten aller Mandanten lesen (kantonale Sicht)")),
    ),
    menu=(MenuEntry(_l("Übersicht"), "shell.tenant_home"),),
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

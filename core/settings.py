"""Settings from the environment, with embedded defaults (see DESIGN.md, "Settings")."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from core.rls import APP_ROLE


def database_url(value: str | None, instance_path: str) -> str:
    if not value:
        return f"sqlite:///{Path(instance_path) / 'start-integration.db'}"
    # psycopg 3 is the PostgreSQL driver, whatever scheme the operator wrote.
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def secret_key(instance_path: str) -> str:
    """The configured key, else one generated once into ``instance/secret_key``."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def tenant_hosts(value: str | None) -> dict[str, str]:
    """``TENANT_HOSTS="integration.grenchen.ch=grenchen,..."`` -> {host: slug}."""
    pairs = (item.split("=", 1) for item in (value or "").split(",") if "=" in item)
    return {host.strip().lower(): slug.strip() for host, slug in pairs}


def from_environment(instance_path: str) -> dict:
    env = os.environ
    url = database_url(env.get("DATABASE_URL"), instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True} if not url.startswith("sqlite") else {},
        # On PostgreSQL the application works as a role that row-level security binds.
        "DATABASE_ROLE": env.get("DATABASE_ROLE", APP_ROLE if url.startswith("postgresql") else ""),
        # Production: the owner's connection for "flask db upgrade"; DATABASE_URL logs in as a role
        # that owns nothing (docs/database-roles.md).
        "MIGRATION_DATABASE_URL": database_url(env["MIGRATION_DATABASE_URL"], instance_path)
        if env.get("MIGRATION_DATABASE_URL") else None,
        "REDIS_URL": env.get("REDIS_URL") or None,
        # A worker refreshes its liveness key this often; a killed one is seen after four missed beats.
        "WORKER_HEARTBEAT_SECONDS": float(env.get("WORKER_HEARTBEAT_SECONDS") or 15),
        "SECRET_KEY": secret_key(instance_path),
        "OIDC_ISSUER": env.get("OIDC_ISSUER") or None,
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID") or None,
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET") or None,
        "OIDC_GROUP_ROLES": json.loads(env.get("OIDC_GROUP_ROLES") or "{}"),
        "OIDC_LEEWAY_SECONDS": 60,
        # Session cookies only over HTTPS (the development server excepted, see core.security).
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "1") != "0",
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", 30)),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", 10)),
        "LOGIN_THROTTLE": (10, 15),  # failed logins from one address, or of one account; minutes
        # Behind this many reverse proxies, trust their X-Forwarded-For/-Proto/-Host (Werkzeug's ProxyFix).
        "PROXY_FIX": int(env.get("PROXY_FIX") or 0),
        "TENANT_HOSTS": tenant_hosts(env.get("TENANT_HOSTS")),
        # The platform's host name and scheme for absolute links (core.public.external_url), which work outside
        # a request only with it: a letter's QR code rendered by a worker, the daily digest's link.
        "SERVER_NAME": env.get("SERVER_NAME") or None,
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME") or ("https" if env.get("SERVER_NAME") else "http"),
        # How long a process may serve a tenant's row (and module states) from memory.
        "TENANT_CACHE_SECONDS": float(env.get("TENANT_CACHE_SECONDS", 30)),
        # Outgoing mail (core.mail): without MAIL_SERVER mails are written to instance/outbox/.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") not in ("0", "", "false", "no"),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or "start.integration <no-reply@localhost>",
        # No request body beyond this (Werkzeug answers 413, streamed bodies too); the largest import
        # (a registry's full delivery, ~150 MB for 50,000 persons) fits well below.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB") or 320) * 2**20,
        # Attachments (core.attachments): in the database unless a directory outside the web root is named.
        "ATTACHMENTS_DIR": env.get("ATTACHMENTS_DIR") or None,
        "ATTACHMENT_MAX_BYTES": int(float(env.get("ATTACHMENT_MAX_MB") or 20) * 2**20),
        # The virus scanner clamd, when one is configured: a Unix socket, or host and port.
        "CLAMD_SOCKET": env.get("CLAMD_SOCKET") or None,
        "CLAMD_HOST": env.get("CLAMD_HOST") or None,
        "CLAMD_PORT": int(env.get("CLAMD_PORT") or 3310),
        "CLAMD_TIMEOUT": float(env.get("CLAMD_TIMEOUT") or 30),
        # How long browsers and shared caches may keep a public page (core.public).
        "PUBLIC_CACHE_SECONDS": int(env.get("PUBLIC_CACHE_SECONDS") or 300),
        "BABEL_DEFAULT_LOCALE": "de_CH",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Zurich",
        "LANGUAGES": ("de", "fr", "it", "en"),
    }

"""Test fixtures: a real database (SQLite by default, PostgreSQL with DATABASE_URL), migrated once.

With ``DATABASE_URL`` set the tests create their own database next to the one
named (``<name>_pytest``) and fail, rather than skip, when the server is not
reachable: CI asked for it.  ``REDIS_URL`` likewise.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from core import create_app, provisioning
from core.auth import forget_tenant_lists
from core.db import Scope, db, scoped_to
from core.modules import forget_active_modules
from core.tenancy import Tenant, forget_tenants

REPO = Path(__file__).parent.parent
POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")


def _postgres_test_database(purpose: str = "pytest") -> str:
    """A fresh database for this test run (or one test) on the server of DATABASE_URL."""
    from core.settings import database_url

    url = sa.engine.make_url(database_url(os.environ["DATABASE_URL"], "."))
    name = f"{url.database}_{purpose}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(test_url: str) -> None:
    url = sa.engine.make_url(test_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if not POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = _postgres_test_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture
def scratch_database_url(tmp_path):
    """An empty database of a test's own, beside the session's (a SQLite file, or a PostgreSQL database)."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = _postgres_test_database("scratch")
    yield url
    _drop_postgres_database(url)


class IsolatedClient(FlaskClient):
    """Each request in a thread of its own, so it gets its own app context, ``g`` and database session.

    Without this a request would reuse the test's app context (Flask pushes none while one is
    active), and ``g`` and the session would carry over from one request to the next.
    """

    def open(self, *args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(super().open, *args, **kwargs).result()


def make_app(plugins=None, **config):
    app = create_app({"TESTING": True, **config}, plugins=plugins)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault("INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        upgrade(revision="heads")
        provisioning.load_municipalities()
        db.session.commit()
    return app


def clear_database(app) -> None:
    """Empty every table but the reference data, as the owner (TRUNCATE ignores row security)."""
    keep = {"municipalities", "alembic_version"}
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()
    forget_tenants()  # ids are reused after the tables are emptied
    forget_tenant_lists()
    forget_active_modules()


@pytest.fixture
def ctx(app):
    """An application context on an empty database (reference communes loaded)."""
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
    clear_database(app)


@pytest.fixture
def client(app, ctx):
    return app.test_client()


@pytest.fixture
def runner(app, ctx):
    return app.test_cli_runner()


def make_tenant(slug: str, kind: str = "commune", communes=None, name: str | None = None) -> Tenant:
    """Create a tenant through the provisioning code path (needs the canton for communes)."""
    if kind != "canton" and db.session.scalar(sa.select(Tenant).where(Tenant.kind == "canton")) is None:
        provisioning.create_tenant("kanton", "Kanton Solothurn", "canton", [])
    communes = communes if communes is not None else ([] if kind == "canton" else [_free_commune()])
    tenant = provisioning.create_tenant(slug, name or slug.title(), kind, communes)
    db.session.commit()
    return tenant


def _free_commune() -> int:
    from core.tenancy import Municipality, TenantMunicipality

    with scoped_to(Scope(all_tenants=True)):
        taken = set(db.session.scalars(sa.select(TenantMunicipality.bfs_number)))
    return next(
        m.bfs_number
        for m in db.session.scalars(sa.select(Municipality).where(Municipality.valid_to.is_(None)))
        if m.bfs_number not in taken and m.bfs_number not in (2546, 2422)
    )


@pytest.fixture
def two_tenants(ctx):
    """Tenant A (Grenchen) and tenant B (Balsthal), the canton beside them."""
    return make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])


def unique() -> str:
    return uuid.uuid4().hex[:8]


def make_user(*memberships: tuple[Tenant, str], name: str = "Test Person"):
    """A user (as the provider would have created them) with roles in tenants."""
    from core.access import Membership
    from core.auth import User
    from core.tenancy import tenant_scope

    user = User(issuer="https://idp.test", subject=unique(), name=name, email=f"{unique()}@example.ch")
    db.session.add(user)
    db.session.flush()
    for tenant, role in memberships:
        with tenant_scope(tenant):
            db.session.add(Membership(user_id=user.id, role=role, granted_by="test"))
    db.session.commit()
    return user


def login_as(client, *memberships: tuple[Tenant, str], name: str = "Test Person", base_url: str | None = None):
    """Log ``client`` in as a new user holding these roles (the OIDC flow is tested on its own)."""
    import time

    from core import sessions

    user = make_user(*memberships, name=name)
    session_id = sessions.open_session(user.id)  # live on the server, as a login would leave it
    db.session.commit()
    with client.session_transaction(**({"base_url": base_url} if base_url else {})) as session:
        now = int(time.time())
        session.update(user_id=user.id, login_at=now, seen_at=now, provider="test", sid=session_id)
    return user

"""The recommended production setup on PostgreSQL (docs/database-roles.md), and what SQL injected
into the application can do in it: nothing beyond the scope the application entered.

A database of its own, owned by a role that is no superuser; migrations run as that owner
(``MIGRATION_DATABASE_URL``); the application logs in as a role that owns nothing and is a
member of the application role.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from core import provisioning
from core.db import Scope, db, scoped_to
from core.modules import forget_active_modules
from core.people.models import Person
from core.rls import APP_ROLE
from core.tenancy import forget_tenants, tenant_scope
from tests.conftest import POSTGRES, make_app, make_tenant

pytestmark = pytest.mark.skipif(not POSTGRES, reason="database roles need PostgreSQL (DATABASE_URL)")

SECRET_KEY = "the-production-secret-key-of-this-test"


def _admin_url() -> sa.URL:
    from core.settings import database_url

    return sa.engine.make_url(database_url(os.environ["DATABASE_URL"], "."))


def _as_dba(*statements: str) -> None:
    admin = sa.create_engine(_admin_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    admin.dispose()


@pytest.fixture(scope="module")
def production():
    """The DBA's part once, then the owner's migrations, then the application as its login role."""
    suffix = os.getpid()
    owner, web, name = f"si_owner_{suffix}", f"si_web_{suffix}", f"{_admin_url().database}_roles_{suffix}"
    _as_dba(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'DROP ROLE IF EXISTS "{web}"', f'DROP ROLE IF EXISTS "{owner}"',
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; END IF; END $$",
        f'CREATE ROLE "{owner}" LOGIN', f'CREATE ROLE "{web}" LOGIN IN ROLE {APP_ROLE}',
        f'CREATE DATABASE "{name}" OWNER "{owner}"',
    )
    url = _admin_url().set(database=name)
    urls = {role: url.set(username=role).render_as_string(hide_password=False) for role in (owner, web)}
    forget_tenants()
    forget_active_modules()
    app = make_app(SQLALCHEMY_DATABASE_URI=urls[web], MIGRATION_DATABASE_URL=urls[owner], DATABASE_ROLE="",
                   SECRET_KEY=SECRET_KEY)
    with app.app_context():
        upgrade(revision="heads")
        provisioning.load_municipalities()
        db.session.commit()
        a, b = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
        for tenant, name_ in ((a, "Aebi"), (b, "Brunner")):
            with tenant_scope(tenant):
                db.session.add(Person(first_name="Eva", official_name=name_, municipality_bfs=2546))
                db.session.commit()
        db.session.remove()
    yield app, a, b, urls
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    forget_tenants()
    forget_active_modules()
    _as_dba(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{web}"',
            f'DROP ROLE IF EXISTS "{owner}"')


@pytest.fixture
def session(production):
    app, a, b, _ = production
    with app.app_context():
        yield a, b
        db.session.rollback()
        db.session.remove()


def _names() -> list[str]:
    return sorted(db.session.scalars(sa.text("SELECT official_name FROM persons")))


def test_the_application_logs_in_as_a_role_that_owns_nothing(session):
    user, superuser, bypass = db.session.execute(sa.text(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    owned = db.session.scalar(sa.text(
        "SELECT count(*) FROM pg_class c WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"))
    assert user.startswith("si_web_") and (superuser, bypass, owned) == (False, False, 0)
    tables_owner = db.session.scalar(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'persons'"))
    assert tables_owner.startswith("si_owner_")  # the migrations ran as the owner


def test_the_application_sees_its_scope_and_nothing_else(session):
    a, b = session
    with tenant_scope(a):
        assert _names() == ["Aebi"]
        db.session.commit()
    with tenant_scope(b):
        assert _names() == ["Brunner"]
        db.session.commit()
    with scoped_to(Scope(all_tenants=True)):
        assert _names() == ["Aebi", "Brunner"]
        db.session.commit()


@pytest.mark.parametrize("injected", [
    "SELECT set_config('app.all_tenants', 'on', true)",
    "SELECT set_config('app.tenant_id', '{b}', true)",
    "SELECT set_config('app.tenant_id', '{b}', true), set_config('app.all_tenants', 'on', true)",
    "RESET ROLE",
    "SET ROLE NONE",
    "RESET ALL",
])
def test_injected_sql_cannot_widen_the_scope(session, injected):
    a, b = session
    with tenant_scope(a):
        assert _names() == ["Aebi"]
        db.session.execute(sa.text(injected.format(b=b.id)))
        assert "Brunner" not in _names()
        db.session.rollback()


def test_a_seal_from_another_transaction_does_not_open_its_scope(session):
    a, _ = session
    with scoped_to(Scope(all_tenants=True)):
        _names()
        seal = db.session.scalar(sa.text("SELECT current_setting('app.scope_seal')"))
        db.session.commit()
    with tenant_scope(a):
        _names()
        db.session.execute(sa.text(
            "SELECT set_config('app.tenant_id', '', true), set_config('app.all_tenants', 'on', true),"
            " set_config('app.scope_seal', :seal, true)"), {"seal": seal})
        assert _names() == []
        db.session.rollback()


@pytest.mark.parametrize("injected, refusal", [
    ("SELECT * FROM rls_scope_secrets", "permission denied"),
    ("SELECT * FROM rls_seal_key", "permission denied"),
    ("SELECT app_scope_seal()", "permission denied"),
    ("SELECT app_seal_scope(NULL, true)", "permission denied"),
    ("SELECT app_enter_scope('a guess', NULL, true)", "unknown scope secret"),
    ("SET ROLE {owner}", "permission denied"),
    ("SET ROLE postgres", "permission denied"),
    ("ALTER TABLE persons DISABLE ROW LEVEL SECURITY", "must be owner"),
    ("ALTER TABLE persons NO FORCE ROW LEVEL SECURITY", "must be owner"),
    ("DROP POLICY tenant_isolation ON persons", "must be owner"),
    ("CREATE OR REPLACE FUNCTION app_scope_all() RETURNS boolean LANGUAGE sql AS 'SELECT true'",
     "permission denied|must be owner"),
    ("CREATE FUNCTION public.everything() RETURNS boolean LANGUAGE sql AS 'SELECT true'", "permission denied"),
])
def test_injected_sql_cannot_reach_the_secret_the_seal_or_the_policies(production, session, injected, refusal):
    owner = next(role for role in production[3] if role.startswith("si_owner_"))
    a, _ = session
    with tenant_scope(a):
        _names()
        with pytest.raises(sa.exc.DBAPIError, match=refusal):
            db.session.execute(sa.text(injected.format(owner=owner)))
        db.session.rollback()


def test_an_application_with_an_unregistered_secret_is_refused(production):
    _, a, _, urls = production
    web = next(url for role, url in urls.items() if role.startswith("si_web_"))
    stranger = make_app(SQLALCHEMY_DATABASE_URI=web, DATABASE_ROLE="", SECRET_KEY="not-the-registered-key")
    with stranger.app_context():
        with tenant_scope(a), pytest.raises(sa.exc.DBAPIError, match="unknown scope secret"):
            _names()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()

"""Authorization: every route declares what it needs; every role against every route, own and other tenant."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from core import create_app, modules
from core.access import API, AUTHENTICATED, PUBLIC, ROLE_LABELS, Role, declared_permissions, roles_for
from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_app, make_tenant, make_user

MODULES = ("informieren", "foerdern", "fordern", "subventionen")


def test_every_route_declares_what_it_needs(app):
    with app.app_context():
        known = set(declared_permissions()) | {PUBLIC, AUTHENTICATED, API}
        undeclared = [
            rule.rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            and getattr(app.view_functions[rule.endpoint], "required_permission", None) not in known
        ]
    assert undeclared == []


def test_every_role_has_a_label():
    assert set(ROLE_LABELS) == set(Role)


@pytest.fixture
def world(ctx):
    canton = make_tenant("kanton", kind="canton")
    a = make_tenant("grenchen", communes=[2546])
    b = make_tenant("balsthal", communes=[2422])
    for tenant in (a, b):
        for module_id in MODULES:
            modules.entitle(tenant, module_id)
            modules.activate(tenant, module_id)
    db.session.commit()
    return canton, a, b


def _tenant_get_routes(app) -> list[tuple[str, str]]:
    """Every GET page of a tenant that needs no argument but the tenant: (endpoint, rule)."""
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.arguments == {"tenant"} and not rule.rule.startswith("/api/")
    )


# Modules whose pages answer 404, not 403, to a member without the permission: that a case exists is itself
# sensitive (Fordern, issue 13).
REFUSED_AS_NOT_FOUND = {"fordern"}


def test_role_matrix(app, client, world):
    canton, own, other = world
    routes = _tenant_get_routes(app)
    assert {"shell.tenant_home", "admin.members", "admin.audit_log", "informieren.index"} <= {e for e, _ in routes}
    for tenant in (own, canton):
        for role in roles_for(tenant):
            user_client = app.test_client()
            login_as(user_client, (tenant, role))
            from core.access import role_permissions

            granted = role_permissions(tenant)[role]
            existing = declared_permissions(tenant)
            active = modules.active_modules(tenant)
            for endpoint, rule in routes:
                needed = app.view_functions[endpoint].required_permission
                module = app.extensions["module_blueprints"].get(endpoint.split(".")[0])
                for target in (tenant, other if tenant is own else own):
                    url = rule.replace("<tenant>", target.slug)
                    status = user_client.get(url).status_code
                    if needed == PUBLIC:  # a public page (Fördern's offers): any tenant's, where its module is on
                        expected = 200 if not module or module in modules.active_modules(target) else 404
                    elif target is not tenant or needed not in existing or (module and module not in active):
                        expected = 404
                    else:
                        refused = 404 if module in REFUSED_AS_NOT_FOUND else 403
                        expected = 200 if needed in granted or needed == AUTHENTICATED else refused
                    assert status == expected, f"{role} in {tenant.slug}: GET {url} -> {status}, not {expected}"


def test_anonymous_users_are_sent_to_the_login(client, world):
    response = client.get("/grenchen/informieren/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/grenchen/informieren/")


def test_a_user_without_membership_gets_a_clear_page(client, world):
    login_as(client, name="Nora Niemand")
    page = client.get("/auth/choose")
    assert page.status_code == 403
    assert "Noch kein Zugang" in page.text and "Nora Niemand" in page.text
    assert client.get("/grenchen/").status_code == 404


def test_a_user_of_several_tenants_chooses(client, world):
    _canton, a, b = world
    login_as(client, (a, "read_only"), (b, "read_only"))
    page = client.get("/auth/choose")
    assert page.status_code == 200
    assert 'href="/grenchen/"' in page.text and 'href="/balsthal/"' in page.text


def test_a_withdrawn_permission_closes_the_page(client, world):
    _canton, a, _b = world
    admin = login_as(client, (a, "tenant_admin"))
    officer = app_client_as(client.application, (a, "integration_officer"))
    assert officer.get("/grenchen/informieren/").status_code == 200
    page = client.get("/grenchen/rollen")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(page.text)}
    from core.access import role_permissions

    for role, permissions in role_permissions(a).items():
        for permission in permissions:
            withdrawn = role == "integration_officer" and permission == "informieren.newcomers.read"
            if role in roles_for(a) and not withdrawn:
                form[f"{role}:{permission}"] = "on"
    assert client.post("/grenchen/rollen", data=form).status_code == 302
    assert officer.get("/grenchen/informieren/").status_code == 403
    assert client.get("/grenchen/rollen").status_code == 200  # the admin kept their own rights
    with tenant_scope(a):
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "role.withdraw")).one()
    assert event.actor == f"user:{admin.id}"


def test_members_are_managed_by_the_tenant_and_by_the_canton(client, world):
    canton, a, _b = world
    login_as(client, (a, "tenant_admin"))
    newcomer = make_user(name="Neu Mitglied")
    page = client.get("/grenchen/mitglieder")
    token = csrf_token(page.text)
    bad = client.post("/grenchen/mitglieder", data={"csrf_token": token, "email": "nobody@example.ch",
                                                    "role": "read_only"})
    assert "Niemand mit dieser Adresse" in bad.text
    added = client.post("/grenchen/mitglieder", data={"csrf_token": token, "email": newcomer.email.upper(),
                                                      "role": "residents_services"})
    assert added.status_code == 302
    assert "Neu Mitglied" in client.get("/grenchen/mitglieder").text
    assert client.get("/grenchen/mitglieder?mandant=balsthal").status_code == 404  # only the canton
    canton_client = app_client_as(client.application, (canton, "canton_admin"))
    assert "Neu Mitglied" in canton_client.get("/kanton/mitglieder?mandant=grenchen").text
    assert canton_client.get("/kanton/mitglieder?mandant=balsthal").status_code == 200
    removed = client.post(f"/grenchen/mitglieder/{newcomer.id}/residents_services/entfernen",
                          data={"csrf_token": token})
    assert removed.status_code == 302
    assert "Neu Mitglied" not in client.get("/grenchen/mitglieder").text


def test_forms_without_csrf_token_are_refused(client, world):
    login_as(client, (world[1], "tenant_admin"))
    response = client.post("/grenchen/mitglieder", data={"email": "x@example.ch", "role": "read_only"})
    assert response.status_code == 400


def test_audit_log_shows_the_tenants_events_and_the_canton_sees_all(client, world):
    canton, a, _b = world
    login_as(client, (a, "tenant_admin"))
    page = client.get("/grenchen/protokoll?action=module.")
    assert page.status_code == 200 and "module.active" in page.text
    csv_text = client.get("/grenchen/protokoll.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("occurred_at,tenant,actor,action")
    assert ",grenchen," in csv_text and ",balsthal," not in csv_text
    assert client.get("/grenchen/protokoll?since=not-a-date").status_code == 200  # a field error, no 500
    office = app_client_as(client.application, (canton, "canton_office"))
    everything = office.get("/kanton/protokoll.csv").data.decode("utf-8-sig")
    assert ",grenchen," in everything and ",balsthal," in everything
    only_b = office.get("/kanton/protokoll.csv?mandant=balsthal").data.decode("utf-8-sig")
    assert ",balsthal," in only_b and ",grenchen," not in only_b


# -- sessions ------------------------------------------------------------------------------


def test_idle_and_absolute_session_timeouts(client, world):
    login_as(client, (world[1], "read_only"))
    assert client.get("/grenchen/").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - 31 * 60
    assert client.get("/grenchen/").status_code == 302
    login_as(client, (world[1], "read_only"))
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 11 * 3600
    assert client.get("/grenchen/").status_code == 302


def test_security_headers_and_cookie_flags(client, world):
    login_as(client, (world[1], "read_only"))
    response = client.get("/grenchen/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), "no inline scripts"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_login_is_throttled_after_repeated_failures(client, world):
    canton = world[0]
    with tenant_scope(canton):
        for _ in range(10):
            db.session.add(AuditEvent(actor="system", action="auth.login_failed", object_type="client",
                                      object_id="127.0.0.1", detail={}))
        db.session.commit()
    assert client.get("/auth/login").status_code == 429
    assert client.get("/auth/login", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code != 429


# -- development login ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "available"),
    [
        ({"DEBUG": True}, True),
        ({"DEBUG": False}, False),
        ({"DEBUG": True, "OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y"},
         False),
    ],
)
def test_development_login_exists_only_in_development_without_provider(database_url, app, config, available):
    dev = make_app(SQLALCHEMY_DATABASE_URI=database_url, **config)
    status = dev.test_client().get("/auth/dev-login/").status_code
    assert (status == 200) is available
    assert ("dev_login.choose" in dev.view_functions) is available


def test_production_configuration_has_no_development_login(monkeypatch, database_url, app):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    production = create_app()
    assert not production.debug
    assert "dev_login.choose" not in production.view_functions
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_development_login_flow(database_url, app, ctx, world):
    from core import demo

    demo.PEOPLE  # noqa: B018 - the demo people need their tenants, made here by `world`
    dev = make_app(SQLALCHEMY_DATABASE_URI=database_url, DEBUG=True)
    client = dev.test_client()
    with dev.app_context():
        user = make_user((world[1], "integration_officer"), name="Dora Dev")
        user.issuer = "dev"
        db.session.commit()
        user_id = user.id
    assert client.get("/grenchen/informieren/").headers["Location"].startswith("/auth/login")
    assert client.get("/auth/login?next=/grenchen/informieren/").headers["Location"].startswith("/auth/dev-login/")
    page = client.get("/auth/dev-login/?next=/grenchen/informieren/")
    assert "Dora Dev" in page.text
    response = client.post("/auth/dev-login/?next=/grenchen/informieren/",
                           data={"csrf_token": csrf_token(page.text), "user_id": user_id})
    assert response.headers["Location"] == "/grenchen/informieren/"
    assert client.get("/grenchen/informieren/").status_code == 200


# -- helpers ---------------------------------------------------------------------------------------------


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def app_client_as(app, *memberships):
    other = app.test_client()
    login_as(other, *memberships)
    return other

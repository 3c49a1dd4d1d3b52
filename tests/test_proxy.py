"""PROXY_FIX: behind that many reverse proxies, their X-Forwarded-* headers name the client and the scheme."""

from __future__ import annotations

import pytest

from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import make_app, make_tenant

CLIENT = "203.0.113.7"


@pytest.fixture
def canton(ctx):
    return make_tenant("kanton", kind="canton")


def _fail_ten_times(canton, address):
    with tenant_scope(canton):
        for _ in range(10):
            db.session.add(AuditEvent(actor="system", action="auth.login_failed", object_type="client",
                                      object_id=address, detail={}))
        db.session.commit()


def _app(database_url, **config):
    return make_app(SQLALCHEMY_DATABASE_URI=database_url, OIDC_ISSUER=None, **config)


def test_behind_a_proxy_the_forwarded_address_is_throttled_and_audited(database_url, canton):
    app = _app(database_url, PROXY_FIX=1, DEBUG=True)
    client = app.test_client()
    forwarded = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "si.example"}
    assert client.get("/auth/dev-login/", headers=forwarded).status_code == 200
    _fail_ten_times(canton, CLIENT)
    assert client.get("/auth/dev-login/", headers=forwarded).status_code == 429
    assert client.get("/auth/dev-login/", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
    page = client.get("/", headers=forwarded)
    assert "Strict-Transport-Security" in page.headers  # the proxy spoke https to the browser


def test_without_proxy_fix_the_forwarded_headers_are_ignored(database_url, canton):
    app = _app(database_url, DEBUG=True)
    client = app.test_client()
    _fail_ten_times(canton, CLIENT)
    forwarded = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}
    assert client.get("/auth/dev-login/", headers=forwarded).status_code == 200  # 127.0.0.1 asked
    assert "Strict-Transport-Security" not in client.get("/", headers=forwarded).headers
    _fail_ten_times(canton, "127.0.0.1")
    assert client.get("/auth/dev-login/", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429


def test_a_failed_login_behind_a_proxy_records_the_client(database_url, canton):
    app = _app(database_url, PROXY_FIX=1, DEBUG=True, WTF_CSRF_ENABLED=False)
    app.test_client().post("/auth/dev-login/", headers={"X-Forwarded-For": f"10.0.0.1, {CLIENT}"},
                           data={"user_id": 999})
    with tenant_scope(canton):
        events = db.session.query(AuditEvent).filter_by(action="auth.login_failed").all()
    assert [event.object_id for event in events] == [CLIENT]  # the last proxy's word, not the client's claim

"""The JSON API: token life cycle, tenant isolation of tokens, JSON errors, the OpenAPI document."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import api
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.errors import UserError
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_tenant


@pytest.fixture
def tenants(ctx):
    make_tenant("kanton", kind="canton")
    return make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def issue(tenant, scopes=("core:read",), days=30) -> tuple[api.ApiToken, str]:
    row, token = api.issue_token(tenant, "Einwohnerregister", list(scopes), days)
    db.session.commit()
    return row, token


def test_a_token_reads_its_own_tenant(client, tenants):
    _row, token = issue(tenants[0])
    response = client.get("/api/v1/grenchen/tenant", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"slug": "grenchen", "name": "Grenchen", "kind": "commune", "modules": []}


def test_a_token_of_another_tenant_is_not_found(client, tenants):
    _row, token = issue(tenants[0])
    response = client.get("/api/v1/balsthal/tenant", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "Not found."}


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Basic dXNlcjpwdw==", 401),
        ("Bearer nonsense", 401),
        ("Bearer si_00000000000000000000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 404),
    ],
)
def test_missing_or_malformed_tokens(client, tenants, header, status):
    response = client.get("/api/v1/grenchen/tenant", headers={"Authorization": header} if header else {})
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "message"}
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_is_not_found(client, tenants):
    _row, token = issue(tenants[0])
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(token[:-4] + "AAAA")).status_code == 404


def test_expired_and_revoked_tokens_answer_401(client, tenants):
    grenchen = tenants[0]
    expired, expired_token = issue(grenchen)
    with tenant_scope(grenchen):
        expired.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(expired_token)).status_code == 401
    revoked, revoked_token = issue(grenchen)
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(revoked_token)).status_code == 200
    api.revoke_token(grenchen, str(revoked.id))
    db.session.commit()
    response = client.get("/api/v1/grenchen/tenant", headers=bearer(revoked_token))
    assert response.status_code == 401
    assert "revoked" in response.get_json()["message"] and revoked_token not in response.text


def test_tokens_are_stored_hashed_scoped_and_audited(tenants):
    grenchen = tenants[0]
    row, token = issue(grenchen)
    assert token.split("_", 2)[2] not in row.secret_hash and len(row.secret_hash) == 64
    api.revoke_token(grenchen, str(row.id))
    db.session.commit()
    with tenant_scope(grenchen):
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "api_token")).all()
    assert sorted(actions) == ["api_token.create", "api_token.revoke"]


@pytest.mark.parametrize(
    ("scopes", "days", "message"),
    [(["nowhere:write"], 30, "Unbekannte Berechtigung"), ([], 30, "mindestens eine Berechtigung"),
     (["core:read"], 0, "1 bis 730 Tage"), (["core:read"], 731, "1 bis 730 Tage")],
)
def test_bad_token_requests_are_refused(tenants, scopes, days, message):
    with pytest.raises(UserError, match=message):
        api.issue_token(tenants[0], "x", scopes, days)


def test_a_token_without_the_scope_is_forbidden(client, tenants, monkeypatch):
    grenchen = tenants[0]
    _row, token = issue(grenchen)
    with tenant_scope(grenchen):
        db.session.scalars(sa.select(api.ApiToken)).one().scopes = ["other:read"]
    db.session.commit()
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(token)).status_code == 403


def test_openapi_lists_the_endpoints_of_core_and_modules(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    operation = document["paths"]["/api/v1/{tenant}/tenant"]["get"]
    assert operation["security"] == [{"bearer": ["core:read"]}]
    assert operation["parameters"][0]["name"] == "tenant"


def test_unknown_api_paths_answer_json(client, tenants):
    response = client.get("/api/v1/grenchen/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_tokens_cli_prints_a_working_token(runner, client, tenants):
    result = runner.invoke(args=["tokens", "create", "grenchen", "--scope", "core:read"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(token)).status_code == 200
    listed = json.loads(runner.invoke(args=["tokens", "list", "grenchen", "--json"]).output)
    assert len(listed) == 1 and token not in json.dumps(listed)
    assert runner.invoke(args=["tokens", "revoke", "grenchen", listed[0]["id"]]).exit_code == 0
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(token)).status_code == 401
    bad = runner.invoke(args=["tokens", "create", "grenchen", "--scope", "nope"])
    assert bad.exit_code == 1 and "Unbekannte Berechtigung" in bad.output


def test_tokens_page_shows_a_new_token_once(client, tenants):
    import re

    login_as(client, (tenants[0], "tenant_admin"))
    page = client.get("/grenchen/api-tokens")
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    created = client.post("/grenchen/api-tokens", data={"csrf_token": csrf, "name": "Register", "scopes": "core:read",
                                                         "days": "90"})
    token = re.search(r"si_[0-9a-f]{32}_[\w-]+", created.text).group(0)
    assert client.get("/api/v1/grenchen/tenant", headers=bearer(token)).status_code == 200
    assert token not in client.get("/grenchen/api-tokens").text
    invalid = client.post("/grenchen/api-tokens", data={"csrf_token": csrf, "name": "", "days": "9999"})
    assert invalid.status_code == 200 and "si_" not in invalid.text

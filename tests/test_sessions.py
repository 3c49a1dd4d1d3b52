"""Sessions end on the server: a copied cookie is refused after logout or a membership removal; no-store."""

from __future__ import annotations

import pytest

from core import modules
from core.db import db
from tests.conftest import login_as, make_tenant
from tests.test_access import csrf_token


@pytest.fixture
def grenchen(ctx):
    make_tenant("kanton", kind="canton")
    tenant = make_tenant("grenchen", communes=[2546])
    modules.entitle(tenant, "informieren")
    modules.activate(tenant, "informieren")
    db.session.commit()
    return tenant


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_is_refused_after_logout(app, client, grenchen):
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/informieren/")
    assert page.status_code == 200
    thief = copy_of(app, client)
    assert thief.get("/grenchen/informieren/").status_code == 200  # the copy works while the session lives
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    refused = thief.get("/grenchen/informieren/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/auth/login")


def test_a_removed_membership_ends_the_users_sessions(app, client, grenchen):
    admin = app.test_client()
    login_as(admin, (grenchen, "tenant_admin"))
    user = login_as(client, (grenchen, "integration_officer"), (grenchen, "read_only"))
    assert client.get("/grenchen/informieren/").status_code == 200
    thief = copy_of(app, client)
    page = admin.get("/grenchen/mitglieder")
    removed = admin.post(f"/grenchen/mitglieder/{user.id}/read_only/entfernen",
                         data={"csrf_token": csrf_token(page.text)})
    assert removed.status_code == 302
    for browser in (client, thief):
        refused = browser.get("/grenchen/informieren/")
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/auth/login")
    assert admin.get("/grenchen/mitglieder").status_code == 200  # the admin's own session lives on


def test_a_cookie_without_a_server_side_session_is_refused(app, client, grenchen):
    """A cookie signed with the key but naming no live session (as before this change) logs nobody in."""
    user = login_as(client, (grenchen, "integration_officer"))
    with client.session_transaction() as session:
        session.pop("sid")
        assert session["user_id"] == user.id
    assert client.get("/grenchen/informieren/").status_code == 302


def test_staff_pages_are_not_stored_by_any_cache(client, grenchen):
    login_as(client, (grenchen, "integration_officer"))
    for path in ("/grenchen/", "/grenchen/informieren/", "/auth/choose"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
    assert client.get("/grenchen/gibt-es-nicht").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/favicon.svg").headers.get("Cache-Control", "")

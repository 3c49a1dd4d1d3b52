"""Invitations become memberships at the first login, through the real OpenID Connect provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import provisioning
from core.access import Membership
from core.audit import AuditEvent
from core.auth import User
from core.clock import utcnow
from core.db import db
from core.errors import UserError
from core.tenancy import get_tenant, tenant_scope
from tests.conftest import clear_database, make_app, make_tenant
from tests.oidc_provider import OIDCProvider
from tests.test_login import sign_in

CLIENT, SECRET = "start-integration", "a-test-secret"
COMMUNE, COMMUNE_SECRET = "grenchen-directory", "grenchen-secret"
CALLBACK = "http://localhost/auth/callback"
HANNA = "hanna.haller@haerkingen.example"
ACCOUNTS = {
    "hanna": {"email": HANNA, "name": "Hanna Haller", "groups": []},
    # The same address, but the provider does not vouch for it.
    "udo": {"email": HANNA, "name": "Udo Unbestätigt", "groups": [], "email_verified": False},
}


@pytest.fixture(scope="module")
def op():
    clients = [
        {"client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [CALLBACK]},
        {"client_id": COMMUNE, "client_secret": COMMUNE_SECRET, "redirect_uris": [CALLBACK]},
    ]
    with OIDCProvider(clients=clients, accounts=ACCOUNTS) as provider:
        yield provider


@pytest.fixture
def sso(app, database_url, op):
    sso_app = make_app(SQLALCHEMY_DATABASE_URI=database_url, OIDC_ISSUER=op.issuer, OIDC_CLIENT_ID=CLIENT,
                       OIDC_CLIENT_SECRET=SECRET)
    with sso_app.app_context():
        make_tenant("kanton", kind="canton")
        make_tenant("haerkingen", communes=[2402], name="Härkingen")
        make_tenant("grenchen", communes=[2546])
        yield sso_app
        db.session.rollback()
        db.session.remove()
    clear_database(sso_app)


def roles_of(slug: str, subject: str) -> set[str]:
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.subject == subject))
    if user is None:
        return set()
    with tenant_scope(get_tenant(slug, include_archived=True)):
        return set(db.session.scalars(sa.select(Membership.role).where(Membership.user_id == user.id)))


def invitation_state(slug: str) -> list[str]:
    db.session.expire_all()
    return [i.state for i in provisioning.invitations(get_tenant(slug, include_archived=True))]


def test_an_invited_administrator_gets_the_role_at_the_first_login(sso):
    provisioning.invite(get_tenant("haerkingen"), HANNA.upper())
    db.session.commit()
    client = sso.test_client()
    response = sign_in(client, "hanna", "/auth/login")
    assert response.headers["Location"] == "/auth/choose"
    assert client.get("/auth/choose").headers["Location"] == "/haerkingen/"
    assert client.get("/haerkingen/mitglieder").status_code == 200  # a tenant administrator now
    assert roles_of("haerkingen", "hanna") == {"tenant_admin"}
    assert invitation_state("haerkingen") == ["accepted"]
    with tenant_scope(get_tenant("haerkingen")):
        logged = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"invitation.create", "invitation.accept", "membership.add"} <= logged
    # Single use: the role stays, nothing is granted twice.
    sign_in(sso.test_client(), "hanna", "/auth/login")
    assert roles_of("haerkingen", "hanna") == {"tenant_admin"}


def test_an_unverified_address_revoked_or_expired_invitation_grants_nothing(sso):
    haerkingen = get_tenant("haerkingen")
    invitation, _created = provisioning.invite(haerkingen, HANNA)
    db.session.commit()
    client = sso.test_client()
    sign_in(client, "udo", "/auth/login")
    assert client.get("/auth/choose").status_code == 403 and roles_of("haerkingen", "udo") == set()
    assert invitation_state("haerkingen") == ["pending"]
    provisioning.revoke_invitation(haerkingen, invitation.id)
    expired, _created = provisioning.invite(haerkingen, HANNA, "read_only")
    with tenant_scope(haerkingen):
        expired.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    sign_in(sso.test_client(), "hanna", "/auth/login")
    assert roles_of("haerkingen", "hanna") == set()
    assert sorted(invitation_state("haerkingen")) == ["expired", "revoked"]


def test_a_tenants_own_provider_vouches_for_its_own_invitations_only(sso, op):
    grenchen = get_tenant("grenchen")
    for key, value in (("core.oidc_issuer", op.issuer), ("core.oidc_client_id", COMMUNE),
                       ("core.oidc_client_secret", COMMUNE_SECRET)):
        provisioning.set_setting(grenchen, key, value)
    provisioning.invite(get_tenant("haerkingen"), HANNA)
    provisioning.invite(grenchen, HANNA, "integration_officer")
    db.session.commit()
    client = sso.test_client()
    response = sign_in(client, "hanna", "/auth/login?tenant=grenchen&next=/grenchen/")
    assert response.headers["Location"] == "/grenchen/"
    assert roles_of("grenchen", "hanna") == {"integration_officer"}
    assert roles_of("haerkingen", "hanna") == set()  # Grenchen's directory cannot vouch for Härkingen
    assert invitation_state("haerkingen") == ["pending"]


def test_members_of_an_archived_tenant_cannot_get_in(sso):
    haerkingen = get_tenant("haerkingen")
    provisioning.invite(haerkingen, HANNA)
    db.session.commit()
    client = sso.test_client()
    sign_in(client, "hanna", "/auth/login")
    assert client.get("/haerkingen/").status_code == 200
    provisioning.archive_tenant(get_tenant("haerkingen"))
    provisioning.invite(get_tenant("grenchen"), HANNA)
    db.session.commit()
    assert client.get("/haerkingen/").status_code == 404  # a running session too
    fresh = sso.test_client()
    sign_in(fresh, "hanna", "/auth/login?next=/haerkingen/")
    assert fresh.get("/haerkingen/").status_code == 404
    assert fresh.get("/auth/choose").headers["Location"] == "/grenchen/"  # the archived tenant is not offered
    with pytest.raises(UserError, match="archiviert"):
        provisioning.invite(get_tenant("haerkingen", include_archived=True), "x@example.ch")

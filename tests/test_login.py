"""Staff single sign-on against a real OpenID Connect provider (tests/oidc, started here)."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from core import provisioning
from core.access import Membership
from core.audit import AuditEvent
from core.auth import User
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import clear_database, make_app, make_tenant
from tests.oidc_provider import OIDCProvider, fetch_tokens, login, logout

CLIENT, SECRET = "start-integration", "a-test-secret"
OTHER, OTHER_SECRET = "other-app", "another-secret"
COMMUNE, COMMUNE_SECRET = "grenchen-directory", "grenchen-secret"
CALLBACK = "http://localhost/auth/callback"
HOME = "http://localhost/"
ACCOUNTS = {
    "anna": {"email": "anna.amrein@grenchen.example", "name": "Anna Amrein", "groups": ["si-grenchen-officer"]},
    "nora": {"email": "nora.niemand@example.org", "name": "Nora Niemand", "groups": []},
}


@pytest.fixture(scope="module")
def op():
    clients = [
        {"client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [CALLBACK],
         "post_logout_redirect_uris": [HOME]},
        {"client_id": OTHER, "client_secret": OTHER_SECRET, "redirect_uris": ["http://localhost/other/callback"]},
        {"client_id": COMMUNE, "client_secret": COMMUNE_SECRET, "redirect_uris": [CALLBACK]},
    ]
    with OIDCProvider(clients=clients, accounts=ACCOUNTS) as provider:
        yield provider


@pytest.fixture
def sso(app, database_url, op):
    """An application with the canton's provider; tenants kanton, grenchen, balsthal."""
    sso_app = make_app(
        SQLALCHEMY_DATABASE_URI=database_url,
        OIDC_ISSUER=op.issuer,
        OIDC_CLIENT_ID=CLIENT,
        OIDC_CLIENT_SECRET=SECRET,
        OIDC_GROUP_ROLES={"si-grenchen-officer": "grenchen:integration_officer"},
    )
    with sso_app.app_context():
        make_tenant("kanton", kind="canton")
        make_tenant("grenchen", communes=[2546])
        make_tenant("balsthal", communes=[2422])
        yield sso_app
        db.session.rollback()
        db.session.remove()
    clear_database(sso_app)


def sign_in(client, account: str, start: str = "/auth/login?next=/grenchen/"):
    """Follow the login through the provider (its forms filled by tests/oidc_provider.py)."""
    to_provider = client.get(start)
    assert to_provider.status_code == 302, to_provider.text
    callback = urlsplit(login(to_provider.headers["Location"], account, requests.Session()))
    assert callback.path == "/auth/callback"
    return client.get(f"{callback.path}?{callback.query}")


def test_staff_log_in_and_land_where_they_wanted(sso, op):
    client = sso.test_client()
    request = client.get("/auth/login?next=/grenchen/")
    query = parse_qs(urlsplit(request.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    client = sso.test_client()
    response = sign_in(client, "anna")
    assert response.status_code == 302 and response.headers["Location"] == "/grenchen/"
    page = client.get("/grenchen/")
    assert page.status_code == 200 and "Anna Amrein" in page.text
    user = db.session.scalars(sa.select(User).where(User.subject == "anna")).one()
    assert (user.issuer, user.email) == (op.issuer, "anna.amrein@grenchen.example")
    grenchen = provisioning_tenant("grenchen")
    with tenant_scope(grenchen):
        membership = db.session.scalars(sa.select(Membership).where(Membership.user_id == user.id)).one()
    assert (membership.role, membership.source) == ("integration_officer", "claim")
    assert client.get("/balsthal/").status_code == 404  # another tenant's pages do not exist for her
    assert "auth.login" in platform_actions()


def test_users_are_keyed_by_issuer_and_subject_and_refreshed(sso, op):
    stale = User(issuer=op.issuer, subject="anna", name="Anna Alt", email="old@example.org")
    namesake = User(issuer="https://elsewhere.example", subject="x", name="Other", email=ACCOUNTS["anna"]["email"])
    db.session.add_all([stale, namesake])
    db.session.commit()
    sign_in(sso.test_client(), "anna")
    db.session.expire_all()
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    assert [(u.issuer, u.subject, u.name) for u in users] == [
        (op.issuer, "anna", "Anna Amrein"),
        ("https://elsewhere.example", "x", "Other"),
    ]
    assert users[0].email == "anna.amrein@grenchen.example"


def test_a_user_without_membership_sees_a_clear_page(sso):
    client = sso.test_client()
    response = sign_in(client, "nora", "/auth/login")
    assert response.headers["Location"] == "/auth/choose"
    page = client.get("/auth/choose")
    assert page.status_code == 403
    assert "Noch kein Zugang" in page.text and "Nora Niemand" in page.text


def test_claimed_memberships_follow_the_claim_and_manual_ones_stay(sso, op):
    grenchen, balsthal = provisioning_tenant("grenchen"), provisioning_tenant("balsthal")
    user = User(issuer=op.issuer, subject="anna", name="Anna", email="a@example.org")
    db.session.add(user)
    db.session.flush()
    with tenant_scope(grenchen):
        db.session.add(Membership(user_id=user.id, role="tenant_admin", source="claim", granted_by="claim"))
    with tenant_scope(balsthal):
        db.session.add(Membership(user_id=user.id, role="read_only", source="manual", granted_by="admin"))
    db.session.commit()
    sign_in(sso.test_client(), "anna")
    with tenant_scope(grenchen):
        assert set(db.session.scalars(sa.select(Membership.role).where(Membership.user_id == user.id))) == {
            "integration_officer"
        }
    with tenant_scope(balsthal):
        assert db.session.scalars(sa.select(Membership.role).where(Membership.user_id == user.id)).all() == [
            "read_only"
        ]


def test_logout_ends_the_session_here_and_at_the_provider(sso, op):
    client = sso.test_client()
    session = requests.Session()
    to_provider = client.get("/auth/login?next=/grenchen/")
    callback = urlsplit(login(to_provider.headers["Location"], "anna", session))
    client.get(f"{callback.path}?{callback.query}")
    page = client.get("/grenchen/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/auth/logout", data={"csrf_token": token})
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == op.discovery()["end_session_endpoint"]
    params = parse_qs(target.query)
    assert params["post_logout_redirect_uri"] == [HOME] and params["id_token_hint"]
    assert client.get("/grenchen/").status_code == 302  # logged out here
    assert logout(response.headers["Location"], session).startswith(HOME)  # and there


def test_an_unreachable_provider_gives_a_clear_page(app, database_url, ctx):
    broken = make_app(SQLALCHEMY_DATABASE_URI=database_url, OIDC_ISSUER="http://127.0.0.1:9/",
                      OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y")
    response = broken.test_client().get("/auth/login")
    assert response.status_code == 503 and "antwortet zurzeit nicht" in response.text


def test_a_commune_may_bring_its_own_provider(sso, op):
    grenchen = provisioning_tenant("grenchen")
    for key, value in (("core.oidc_issuer", op.issuer), ("core.oidc_client_id", COMMUNE),
                       ("core.oidc_client_secret", COMMUNE_SECRET),
                       ("core.oidc_group_roles", {"si-grenchen-officer": "tenant_admin"})):
        provisioning.set_setting(grenchen, key, value)
    db.session.commit()
    client = sso.test_client()
    to_provider = client.get("/grenchen/mitglieder")
    assert to_provider.headers["Location"].startswith("/auth/login?next=/grenchen/mitglieder&tenant=grenchen")
    response = sign_in(client, "anna", to_provider.headers["Location"])
    assert response.headers["Location"] == "/grenchen/mitglieder"
    assert client.get("/grenchen/mitglieder").status_code == 200  # tenant_admin through the commune's groups


# -- the ID token's checks, through the callback every login goes through ---------------------------
#
# The app sends the browser to the provider, the provider back to /auth/callback with a code, and the
# callback exchanges the code at the provider's token endpoint for the ID token. Here that exchange is
# real, and its answer is changed on the way back (as by someone on the path, or a provider gone
# wrong): the callback must refuse the token with the failure page, open no session and create no user.


@pytest.fixture
def token_response(op, monkeypatch):
    """``change(fn)``: the next answer of the provider's token endpoint passes through ``fn(tokens)``."""
    endpoint = op.discovery()["token_endpoint"]
    pending = []
    real_send = requests.Session.send

    def send(session, prepared, **kwargs):
        response = real_send(session, prepared, **kwargs)
        if prepared.url == endpoint and pending and response.status_code == 200:
            response._content = json.dumps(pending.pop()(response.json())).encode()
        return response

    monkeypatch.setattr(requests.Session, "send", send)
    return pending.append


def tokens_for(op, client_id=CLIENT, secret=SECRET, redirect=CALLBACK, nonce="n-123"):
    """A real token response of the provider, for another login than the app's."""
    return fetch_tokens(op, client_id, secret, redirect, "anna", nonce)


def start_login(client) -> tuple[str, str]:
    """The app's redirect to the provider, and the nonce the app put in it."""
    to_provider = client.get("/auth/login?next=/grenchen/")
    location = to_provider.headers["Location"]
    return location, parse_qs(urlsplit(location).query)["nonce"][0]


def finish_login(client, location: str, account: str = "anna"):
    """Log in at the provider and present its answer to the app's callback."""
    callback = urlsplit(login(location, account, requests.Session()))
    assert callback.path == "/auth/callback"
    return client.get(f"{callback.path}?{callback.query}")


def with_id_token(id_token: str):
    return lambda tokens: {**tokens, "id_token": id_token}


def b64_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def assert_refused(client, response, reason: str) -> None:
    """The failure page, no session, no user; the failure audited with its reason (a pattern)."""
    assert response.status_code == 400 and "Anmeldung fehlgeschlagen" in response.text
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert client.get("/grenchen/").status_code == 302  # still to be logged in
    assert db.session.scalars(sa.select(User)).all() == []
    reasons = [detail["reason"] for detail in failures()]
    assert len(reasons) == 1 and re.search(reason, reasons[0]), reasons


def test_the_callback_accepts_the_providers_own_token(sso, op, token_response):
    """The control for the tests below: the interception itself changes nothing."""
    client = sso.test_client()
    location, _nonce = start_login(client)
    token_response(lambda tokens: tokens)
    response = finish_login(client, location)
    assert response.status_code == 302 and response.headers["Location"] == "/grenchen/"
    assert client.get("/grenchen/").status_code == 200
    assert db.session.scalars(sa.select(User.subject)).all() == ["anna"]


def test_the_callback_refuses_a_tampered_token(sso, op, token_response):
    client = sso.test_client()
    location, _nonce = start_login(client)

    def mallory(tokens):
        header, payload, signature = tokens["id_token"].split(".")
        return {**tokens, "id_token": f"{header}.{b64({**b64_json(payload), 'sub': 'mallory'})}.{signature}"}

    token_response(mallory)
    assert_refused(client, finish_login(client, location), "bad_signature")


def test_the_callback_refuses_an_unsigned_token(sso, op, token_response):
    client = sso.test_client()
    location, _nonce = start_login(client)

    def unsigned(tokens):
        _header, payload, _signature = tokens["id_token"].split(".")
        return {**tokens, "id_token": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."}

    token_response(unsigned)
    assert_refused(client, finish_login(client, location), "Algorithm of 'none' is not allowed")


def test_the_callback_refuses_a_token_for_another_audience(sso, op, token_response):
    """A real token of the provider, with the app's nonce, but issued to another client."""
    client = sso.test_client()
    location, nonce = start_login(client)
    other = tokens_for(op, OTHER, OTHER_SECRET, "http://localhost/other/callback", nonce=nonce)
    assert b64_json(other["id_token"].split(".")[1])["aud"] == OTHER
    token_response(with_id_token(other["id_token"]))
    # authlib: an audience that is not the app's needs an azp naming the app, which this token lacks
    assert_refused(client, finish_login(client, location), "'(aud|azp)'")


def test_the_callback_refuses_a_token_of_another_login(sso, op, token_response):
    """A real token of the provider for this very client, replayed from another login: its nonce differs."""
    client = sso.test_client()
    location, _nonce = start_login(client)
    replayed = tokens_for(op, nonce="another-nonce")
    token_response(with_id_token(replayed["id_token"]))
    assert_refused(client, finish_login(client, location), "Invalid claim: 'nonce'")


def test_the_callback_refuses_an_expired_token(sso, op, monkeypatch):
    client = sso.test_client()
    location, _nonce = start_login(client)
    later = int(time.time()) + 2 * 3600  # the provider's ID tokens live one hour: two hours on, it has expired
    monkeypatch.setattr("joserfc._rfc7519.claims._generate_now", lambda: later)
    assert_refused(client, finish_login(client, location), "ExpiredTokenError")


def test_the_callback_refuses_an_answer_without_id_token(sso, op, token_response):
    client = sso.test_client()
    location, _nonce = start_login(client)
    token_response(lambda tokens: {key: value for key, value in tokens.items() if key != "id_token"})
    assert_refused(client, finish_login(client, location), "no subject")


def test_the_callback_refuses_a_forged_state(sso):
    client = sso.test_client()
    location, _nonce = start_login(client)
    callback = urlsplit(login(location, "anna", requests.Session()))
    forged = re.sub(r"state=[^&]+", "state=forged", callback.query)
    assert_refused(client, client.get(f"{callback.path}?{forged}"), "mismatching_state")


def test_the_callback_refuses_a_replayed_answer(sso):
    """The provider's answer works once: its state is spent at the first use, also for a new login."""
    client = sso.test_client()
    location, _nonce = start_login(client)
    callback = urlsplit(login(location, "anna", requests.Session()))
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    page = client.get("/grenchen/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/auth/logout", data={"csrf_token": token})
    start_login(client)  # a login under way, with a new state
    replay = client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 400 and "Anmeldung fehlgeschlagen" in replay.text
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert "mismatching_state" in failures()[-1]["reason"]


def test_a_callback_without_a_login_under_way_or_with_an_error_is_refused(sso):
    stray = sso.test_client()
    for _ in range(12):  # ten image tags on a page elsewhere: not failed logins, nobody locked out
        response = stray.get("/auth/callback?code=x&state=y")
        assert response.status_code == 302 and response.headers["Location"] == "/"
    assert stray.get("/auth/callback?error=access_denied").headers["Location"] == "/"
    assert failures() == [] and stray.get("/auth/login").status_code == 302
    client = sso.test_client()
    start_login(client)
    response = client.get("/auth/callback?error=access_denied")
    assert response.status_code == 400 and "Anmeldung fehlgeschlagen" in response.text
    assert [detail["reason"] for detail in failures()][-1] == "provider: access_denied"


# -- helpers -------------------------------------------------------------------------------------------


def provisioning_tenant(slug):
    from core.tenancy import get_tenant

    return get_tenant(slug)


def failures() -> list[dict]:
    """The details of the failed logins, oldest first."""
    from core.tenancy import canton_tenant

    with tenant_scope(canton_tenant()):
        query = sa.select(AuditEvent.detail).where(AuditEvent.action == "auth.login_failed")
        return db.session.scalars(query.order_by(AuditEvent.occurred_at)).all()


def platform_actions() -> list[str]:
    from core.tenancy import canton_tenant

    with tenant_scope(canton_tenant()):
        return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.occurred_at)).all()


def test_the_language_chosen_before_login_stays_and_is_remembered_for_mails(sso, op):
    client = sso.test_client()
    client.get("/language/fr")
    sign_in(client, "anna")
    with client.session_transaction() as session:
        assert session["language"] == "fr"  # the login starts a new session, not a new language
    user = db.session.scalars(sa.select(User).where(User.subject == "anna")).one()
    assert user.language == "fr"
    elsewhere = sso.test_client()  # another browser, which asks for German
    sign_in(elsewhere, "anna")
    with elsewhere.session_transaction() as session:
        assert session["language"] == "fr"
    elsewhere.get("/language/it")
    db.session.expire_all()
    assert user.language == "it"


def test_without_a_choice_the_browsers_language_is_remembered(sso, op):
    client = sso.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.8"
    sign_in(client, "anna")
    user = db.session.scalars(sa.select(User).where(User.subject == "anna")).one()
    assert user.language == "en"
    assert "Sign out" in client.get("/grenchen/").text


@pytest.mark.parametrize("target", ["%2F%2Fevil.example", "%2F%09%2Fevil.example%2Fphish", "%2F%5Cevil.example",
                                    "https%3A%2F%2Fevil.example", "%2F%0d%0aSet-Cookie%3Ax", "javascript%3Aalert(1)"])
def test_the_login_sends_nobody_off_site(sso, op, target):
    """The OIDC callback redirects to ``next`` through core.security.safe_next: off-site targets become the choice."""
    response = sign_in(sso.test_client(), "anna", f"/auth/login?next={target}")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/choose"


# -- throttling: real failures only, per address and per account ---------------------------------------


def test_a_refused_token_counts_against_its_account_too(sso, op, token_response):
    client = sso.test_client()
    location, _nonce = start_login(client)
    token_response(with_id_token(tokens_for(op, nonce="another-nonce")["id_token"]))
    assert_refused(client, finish_login(client, location), "Invalid claim: 'nonce'")
    assert account_failures() == [f"{op.issuer} anna"]
    retry = client.get("/auth/callback?code=x&state=y")  # the answer is spent: no login under way any more
    assert retry.status_code == 302 and len(failures()) == 1


def test_an_account_with_too_many_failures_is_throttled_from_any_address(sso, op):
    from core.tenancy import canton_tenant

    with tenant_scope(canton_tenant()):
        for _ in range(10):
            db.session.add(AuditEvent(actor="system", action="auth.account_failed", object_type="account",
                                      object_id=f"{op.issuer} anna", detail={}))
        db.session.commit()
    elsewhere = sso.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert sign_in(elsewhere, "anna").status_code == 429
    with elsewhere.session_transaction() as session:
        assert "user_id" not in session
    assert sign_in(sso.test_client(), "nora").status_code == 302  # others log in from the same address


def account_failures() -> list[str]:
    from core.tenancy import canton_tenant

    with tenant_scope(canton_tenant()):
        query = sa.select(AuditEvent.object_id).where(AuditEvent.action == "auth.account_failed")
        return db.session.scalars(query).all()

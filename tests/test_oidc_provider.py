"""The OpenID Connect test provider (tests/oidc) and its Python driver work as the app's tests expect."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc_provider import (
    LoginError,
    OIDCProvider,
    end_session_url,
    fetch_tokens,
    login,
    logout,
    pkce_pair,
)

CLIENT_ID = "start-integration"
CLIENT_SECRET = "not-a-real-secret"
REDIRECT_URI = "http://127.0.0.1:5999/auth/callback"
POST_LOGOUT_URI = "http://127.0.0.1:5999/"
ALICE = {"email": "alice@example.org", "name": "Alice Example", "groups": ["staff", "admins"]}


@pytest.fixture(scope="module")
def op():
    clients = [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI],
            "post_logout_redirect_uris": [POST_LOGOUT_URI],
        }
    ]
    with OIDCProvider(clients=clients, accounts={"alice": ALICE}) as provider:
        yield provider


def authorization_url(op: OIDCProvider, **extra: str) -> str:
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile groups",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{op.discovery()['authorization_endpoint']}?{urlencode({k: v for k, v in params.items() if v})}"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def decode_id_token(op: OIDCProvider, id_token: str, nonce: str):
    token = jwt.decode(id_token, KeySet.import_key_set(op.jwks()), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": op.issuer},
        aud={"essential": True, "value": CLIENT_ID},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    return token.claims


def test_discovery(op):
    assert op.issuer == f"http://127.0.0.1:{op.port}"
    discovery = op.discovery()
    assert discovery["issuer"] == op.issuer
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"):
        assert discovery[endpoint].startswith(op.issuer + "/")
    assert end_session_url(op) == discovery["end_session_endpoint"]
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert {"openid", "email", "profile", "groups"} <= set(discovery["scopes_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= set(discovery["token_endpoint_auth_methods_supported"])
    assert op.jwks()["keys"]


def test_fetch_tokens_gives_a_signed_id_token_with_the_account_claims(op):
    nonce = secrets.token_urlsafe(12)
    tokens = fetch_tokens(op, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, "alice", nonce)
    claims = decode_id_token(op, tokens["id_token"], nonce)
    assert claims["sub"] == "alice"
    assert claims["aud"] == CLIENT_ID
    assert claims["nonce"] == nonce
    assert claims["email"] == ALICE["email"]
    assert claims["email_verified"] is True
    assert claims["name"] == ALICE["name"]
    assert claims["groups"] == ALICE["groups"]
    assert tokens["token_type"].lower() == "bearer"


def test_login_returns_the_callback_with_code_and_state(op):
    session = requests.Session()
    url = authorization_url(op, state="the-state")
    callback = login(url, "alice", session)
    assert callback.startswith(REDIRECT_URI + "?")
    params = query(callback)
    assert params["state"] == "the-state"
    assert params["code"]
    assert params["iss"] == op.issuer
    # The provider session is in the cookies: a second login needs no form.
    assert "code" in query(login(authorization_url(op), "nobody", session))


def test_login_with_an_unknown_account_yields_no_code(op):
    with pytest.raises(LoginError, match="unknown account"):
        login(authorization_url(op), "mallory")


def test_authorization_without_pkce_is_refused(op):
    callback = login(authorization_url(op, code_challenge="", code_challenge_method=""), "alice")
    assert query(callback)["error"] == "invalid_request"


def test_client_secret_post_is_accepted(op):
    verifier, challenge = pkce_pair()
    callback = login(authorization_url(op, code_challenge=challenge), "alice")
    response = requests.post(
        op.discovery()["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query(callback)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert "id_token" in response.json()


def test_logout_ends_the_provider_session(op):
    session = requests.Session()
    nonce = secrets.token_urlsafe(8)
    tokens = fetch_tokens(op, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, "alice", nonce, session=session)
    params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "bye"}
    back = logout(f"{end_session_url(op)}?{urlencode(params)}", session)
    assert back == f"{POST_LOGOUT_URI}?state=bye"
    # Signed out: the next login asks for the account again.
    with pytest.raises(LoginError):
        login(authorization_url(op), "nobody", session)


def test_errors_at_the_provider_raise(op):
    with pytest.raises(LoginError, match="invalid_redirect_uri"):
        login(authorization_url(op, redirect_uri="http://127.0.0.1:5999/elsewhere"), "alice")
    params = {"client_id": CLIENT_ID, "post_logout_redirect_uri": "http://127.0.0.1:5999/elsewhere"}
    with pytest.raises(LoginError, match="post_logout_redirect_uri not registered"):
        logout(f"{end_session_url(op)}?{urlencode(params)}", requests.Session())

"""Redirects to a user-supplied target (``next``) stay on this site: language switch, development login, OIDC."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.conftest import login_as, make_app, make_tenant, make_user

HOSTILE = [
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/%09/evil.example/phish",
    "/%5Cevil.example/",
    "https://evil.example/",
    "http:/evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "/%0aX",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    " /x",
    "/x y",
    "grenchen/",
    "",
]
GOOD = ["/", "/grenchen/", "/grenchen/informieren/?seite=2&suche=M%C3%BCller%20Anna", "/grenchen/personen/12#akte"]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_anything_but_a_path_on_this_site(target):
    from urllib.parse import unquote

    from core.security import safe_next

    assert safe_next(unquote(target) if "%0" in target else target) == "/"
    assert safe_next(target) == "/"
    assert safe_next(None) == "/"
    assert safe_next(target, default="/auth/choose") == "/auth/choose"


@pytest.mark.parametrize("target", GOOD)
def test_the_helper_keeps_a_path_on_this_site(target):
    from core.security import safe_next

    assert safe_next(target) == target


@pytest.fixture
def grenchen(ctx):
    make_tenant("kanton", kind="canton")
    return make_tenant("grenchen", communes=[2546])


def _next(target: str) -> str:
    """``target`` as the ``next`` query argument, its %-escapes kept as the attacker wrote them."""
    return target.replace("/", "%2F").replace("\\", "%5C").replace(":", "%3A").replace(" ", "%20") \
        if "%" not in target else target


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_stays_on_site(client, grenchen, target):
    response = client.get(f"/language/fr?next={_next(target)}")
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", GOOD)
def test_the_language_switch_keeps_a_good_target(client, grenchen, target):
    login_as(client, (grenchen, "read_only"))
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == target


@pytest.mark.parametrize("target", [*HOSTILE, *GOOD])
def test_the_development_login_stays_on_site(database_url, app, grenchen, target):
    from core.db import db

    dev = make_app(SQLALCHEMY_DATABASE_URI=database_url, DEBUG=True)
    with dev.app_context():
        user = make_user((grenchen, "read_only"), name="Dora Dev")
        user.issuer = "dev"
        db.session.commit()
        user_id = user.id
    client = dev.test_client()
    query = _next(target) if target in HOSTILE else quote(target, safe="")
    page = client.get(f"/auth/dev-login/?next={query}")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(f"/auth/dev-login/?next={query}", data={"csrf_token": token, "user_id": user_id})
    assert response.status_code == 302
    expected = target if target in GOOD else "/auth/choose"
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("user_id", ["99999999999999999999999", "-1", "abc", ""])
def test_the_development_login_refuses_an_unknown_or_impossible_user_id_cleanly(database_url, app, grenchen, user_id):
    dev = make_app(SQLALCHEMY_DATABASE_URI=database_url, DEBUG=True)
    client = dev.test_client()
    page = client.get("/auth/dev-login/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/auth/dev-login/", data={"csrf_token": token, "user_id": user_id})
    assert response.status_code in (400, 401, 403) and "user_id" not in response.headers.get("Set-Cookie", "")


def test_a_method_the_page_does_not_take_answers_405_with_allow(client, grenchen):
    response = client.post("/")
    assert response.status_code == 405, response.status_code
    assert set((response.headers.get("Allow") or "").split(", ")) == {"GET", "HEAD", "OPTIONS"}

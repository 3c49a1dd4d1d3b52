"""Who sees Fordern's pages: every route answers 404 to a read-only user, residents' services, the tenant's
administration, another tenant's officer, and where the module is not active; another tenant's case is not found."""

from __future__ import annotations

import re
import uuid

import pytest

from core import modules
from core.db import db
from tests.conftest import login_as
from tests.fordern.support import commune, open_case, person


def fordern_urls(app, values: dict) -> list[tuple[str, str]]:
    urls = [(method, rule.build({"tenant": "grenchen", **values})[1])
            for rule in app.url_map.iter_rules() if rule.endpoint.startswith("fordern.")
            for method in sorted(rule.methods & {"GET", "POST"})]
    assert len(urls) >= 14
    return urls


def token(client, home: str = "/grenchen/") -> dict:
    """A valid CSRF token of the session (from the layout's logout form): the refusal is not the token's."""
    page = client.get(home).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return {"csrf_token": found.group(1)} if found else {}


def all_404(client, urls, home: str = "/grenchen/") -> None:
    data = token(client, home)
    assert data
    for method, url in urls:
        assert client.open(url, method=method, data=data).status_code == 404, (method, url)


@pytest.fixture
def a_case(grenchen):
    case = open_case(grenchen, person(grenchen))
    return {"case_id": case.id, "measure_id": uuid.uuid4(), "outcome_id": uuid.uuid4(), "number": "FO-2017-0001",
            "basis_id": uuid.uuid4()}


@pytest.mark.parametrize("role", ["read_only", "residents_services", "tenant_admin"])
def test_members_without_fordern_get_404_on_every_route(app, client, grenchen, a_case, role):
    login_as(client, (grenchen, role))
    all_404(client, fordern_urls(app, a_case))
    # Nor does the person page show a panel.
    page = client.get(f"/grenchen/personen/{person(grenchen).id}").get_data(as_text=True)
    assert "Fall eröffnen" not in page and "Fordern: Fälle" not in page


def test_another_tenants_officer_gets_404(app, client, grenchen, a_case):
    balsthal = commune("balsthal")
    login_as(client, (balsthal, "integration_officer"))
    all_404(client, fordern_urls(app, a_case), home="/balsthal/")


def test_another_tenants_case_is_not_found_by_its_id(app, client, grenchen, a_case):
    balsthal = commune("balsthal")
    login_as(client, (balsthal, "integration_officer"))
    page = client.get("/balsthal/fordern/").get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)}
    for method, url in fordern_urls(app, a_case):
        url = url.replace("/grenchen/", "/balsthal/")
        if "/faelle/" in url and "/neu" not in url:
            assert client.open(url, method=method, data=data).status_code == 404, (method, url)


def test_where_fordern_is_not_active_every_route_answers_404(app, client, grenchen, a_case):
    modules.suspend(grenchen, "fordern")
    db.session.commit()
    login_as(client, (grenchen, "integration_officer"))
    all_404(client, fordern_urls(app, a_case))


def test_the_officer_reaches_every_read_route(app, officer, grenchen, a_case):
    for method, url in fordern_urls(app, a_case):
        if method == "GET" and "massnahmen/" not in url and "gespraech/" not in url:
            assert officer.get(url).status_code in (200, 404), url
    assert officer.get(f"/grenchen/fordern/faelle/{a_case['case_id']}").status_code == 200

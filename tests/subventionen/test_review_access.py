"""Who reaches the canton's review, payment and overview pages and the commune's payments page: every route
by role, tenant and module state.  Only the finance role decides and pays; a commune sees its own only."""

from __future__ import annotations

import pytest

from core import audit, modules
from core.db import db
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import decisions, payment_runs
from plugins.subventionen.access import FINANCE
from tests.subventionen import review_world as the

REVIEW_GETS = ("/kanton/subventionen/pruefung", "/kanton/subventionen/pruefung/{number}",
               "/kanton/subventionen/zahlungslaeufe", "/kanton/subventionen/zahlungslaeufe/{run}")
FILE_GETS = ("/kanton/subventionen/zahlungslaeufe/{run}/pain001.xml",
             "/kanton/subventionen/zahlungslaeufe/{run}/zahlungen.xlsx",
             "/kanton/subventionen/zahlungslaeufe/{run}/avis/{number}.pdf")
REVIEW_POSTS = ("/kanton/subventionen/pruefung/{open}/genehmigen", "/kanton/subventionen/pruefung/{open}/kuerzen",
                "/kanton/subventionen/pruefung/{open}/zurueckweisen",
                "/kanton/subventionen/pruefung/jahr/2017/anteilig",
                "/kanton/subventionen/zahlungslaeufe", "/kanton/subventionen/zahlungslaeufe/{run}/ausgefuehrt",
                "/kanton/subventionen/zahlungslaeufe/{run}/verwerfen")
OVERVIEW = "/kanton/subventionen/uebersicht"
PAYMENTS = "/{slug}/subventionen/zahlungen"


@pytest.fixture
def scene(app, tenants):
    """An approved claim of the first commune in an open payment run, and an open claim of the second."""
    canton, (grenchen, balsthal) = tenants
    _claim, number = the.submitted_claim(grenchen, 100_000)
    the.as_canton(decisions.approve, the.submission(number))
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    _other, open_number = the.submitted_claim(balsthal, 200_000)
    return {"number": number, "open": open_number, "run": run.id, "slug": grenchen.slug}


def urls(templates, scene) -> list[str]:
    return [template.format(**scene) for template in templates]


def test_the_finance_role_reaches_every_page_of_the_review(app, scene):
    client = the.finance(app)
    for url in (*urls(REVIEW_GETS, scene), OVERVIEW):
        assert client.get(url).status_code == 200, url
    for url in urls(FILE_GETS, scene):
        assert client.get(url).status_code in (200, 404), url  # 404 until the payments' generators are there
    token = the.csrf_token(client, "/kanton/subventionen/pruefung")
    for url in urls(REVIEW_POSTS, scene):
        assert client.post(url, data={"csrf_token": token}).status_code in (200, 302, 400), url


@pytest.mark.parametrize("role, overview", [("canton_admin", 200), ("canton_office", 200), ("read_only", 403)])
def test_other_canton_roles_neither_decide_nor_pay(app, scene, role, overview):
    """Members of the canton without the permission: 403, as core answers (the module has no secret pages)."""
    client = the.client_as(app, (canton_tenant(), role))
    for url in (*urls(REVIEW_GETS, scene), *urls(FILE_GETS, scene)):
        assert client.get(url).status_code == 403, url
    assert client.get(OVERVIEW).status_code == overview
    token = the.csrf_token(client, "/kanton/")
    for url in urls(REVIEW_POSTS, scene):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert the.submission(scene["open"]).state == "submitted"


@pytest.mark.parametrize("role", ["integration_officer", "tenant_admin", "read_only"])
def test_commune_staff_get_404_on_the_cantons_pages_here_and_in_their_commune(app, scene, tenants, role):
    _canton, (grenchen, _balsthal) = tenants
    client = the.client_as(app, (grenchen, role))
    token = the.csrf_token(client, "/gemeinde0/")
    for url in (*urls(REVIEW_GETS, scene), *urls(FILE_GETS, scene), OVERVIEW):
        assert client.get(url).status_code == 404, url
        assert client.get(url.replace("/kanton/", "/gemeinde0/")).status_code == 404, url
    for url in urls(REVIEW_POSTS, scene):
        for tenant_url in (url, url.replace("/kanton/", "/gemeinde0/")):
            assert client.post(tenant_url, data={"csrf_token": token}).status_code == 404, tenant_url
    assert client.get(PAYMENTS.format(slug="gemeinde0")).status_code == 200


def test_the_finance_role_of_the_canton_does_not_reach_a_communes_payments(app, scene):
    client = the.finance(app)
    assert client.get(PAYMENTS.format(slug="kanton")).status_code == 404
    assert client.get(PAYMENTS.format(slug="gemeinde0")).status_code == 404


def test_a_commune_sees_only_its_own_claims_and_payments(app, scene, tenants):
    _canton, (grenchen, balsthal) = tenants
    the.as_canton(payment_runs.mark_executed, scene["run"])
    mine = the.text(the.client_as(app, (grenchen, "read_only")).get(PAYMENTS.format(slug="gemeinde0")))
    assert scene["number"] in mine and "ausbezahlt" in mine and "CHF 1'000.00" in mine
    assert scene["open"] not in mine
    theirs = the.client_as(app, (balsthal, "integration_officer"))
    page = the.text(theirs.get(PAYMENTS.format(slug="gemeinde1")))
    assert scene["open"] in page and scene["number"] not in page and "CHF 1'000.00" not in page
    assert theirs.get(PAYMENTS.format(slug="gemeinde0")).status_code == 404


def test_with_the_module_switched_off_every_page_answers_404(app, scene, tenants):
    canton, (grenchen, _balsthal) = tenants
    finance = the.finance(app)
    officer = the.client_as(app, (grenchen, "integration_officer"))
    with audit.acting_as("user:test"):
        modules.suspend(canton, "subventionen")
        modules.suspend(grenchen, "subventionen")
    db.session.commit()
    for url in (*urls(REVIEW_GETS, scene), *urls(FILE_GETS, scene), OVERVIEW):
        assert finance.get(url).status_code == 404, url
    token = the.csrf_token(finance, "/kanton/")
    for url in urls(REVIEW_POSTS, scene):
        assert finance.post(url, data={"csrf_token": token}).status_code == 404, url
    assert officer.get(PAYMENTS.format(slug="gemeinde0")).status_code == 404


def test_the_finance_role_is_the_cantons_only(app, tenants):
    _canton, (grenchen, _balsthal) = tenants
    with tenant_scope(grenchen):
        from core.access import declared_permissions

        assert "subventionen.claims.review" not in declared_permissions(grenchen)
    assert FINANCE

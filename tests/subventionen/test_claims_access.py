"""Who reaches the Subventionen pages of the tenant's side and the year's setup: every route by role, by
tenant, where the module is off; a tenant sees only its own claims and receipts."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core import modules
from core.attachments import Attachment
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as
from tests.subventionen.test_claims import cost_form
from tests.subventionen.world import prepared, text, world

OK = "ok"  # 200 for a page, 302 (done, or refused with a message) for a button


@pytest.fixture
def tenants(ctx, monkeypatch):
    return world(monkeypatch)


@pytest.fixture
def claim(app, tenants):
    """Grenchen's 2017 claim with a cost and its receipt: (claim id, cost id, receipt id)."""
    grenchen = tenants[1]
    found = prepared(grenchen)
    admin = client_as(app, (grenchen, "tenant_admin"))
    url = f"/grenchen/subventionen/abrechnungen/{found.id}"
    token = csrf(admin.get(url).get_data(as_text=True))
    assert admin.post(f"{url}/kosten", data={"csrf_token": token, **cost_form()},
                      content_type="multipart/form-data").status_code == 302
    with tenant_scope(grenchen):
        receipt = db.session.scalars(sa.select(Attachment)).one()
    return found.id, receipt.owner_id, receipt.id


def client_as(app, *memberships):
    client = app.test_client()
    login_as(client, *memberships)
    return client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


def commune_routes(claim_id, cost_id):
    base = f"/grenchen/subventionen/abrechnungen/{claim_id}"
    return {
        "read": [("GET", "/grenchen/subventionen/"), ("GET", base), ("GET", "/grenchen/subventionen/regeln/2017")],
        "edit": [("POST", "/grenchen/subventionen/abrechnungen"), ("POST", f"{base}/berechnen"),
                 ("POST", f"{base}/kosten"), ("POST", f"{base}/kosten/{cost_id}/entfernen")],
        "submit": [("POST", f"{base}/einreichen"), ("POST", f"{base}/zurueckziehen")],
    }


CANTON_ROUTES = [("GET", "/kanton/subventionen/kredit"), ("POST", "/kanton/subventionen/kredit"),
                 ("GET", "/kanton/subventionen/kredit/2017"), ("POST", "/kanton/subventionen/kredit/2017"),
                 ("GET", "/kanton/subventionen/kredit/2017/regeln/neu"),
                 ("POST", "/kanton/subventionen/kredit/2017/regeln/neu"),
                 ("GET", "/kanton/subventionen/kredit/2017/regeln/1")]


def status(client, method, url, token):
    if method == "GET":
        return client.get(url).status_code
    return client.post(url, data={"csrf_token": token}).status_code


def expect(code, method):
    if code == OK:
        return (200,) if method == "GET" else (302, 400)  # a bare button: done or refused with a message
    return (code,)


def check(client, routes, code, token):
    for method, url in routes:
        found = status(client, method, url, token)
        assert found in expect(code, method), (method, url, found)


@pytest.mark.parametrize("role, read, edit, submit", [
    ("tenant_admin", OK, OK, OK),
    ("integration_officer", OK, OK, 403),
    ("read_only", OK, 403, 403),
    ("residents_services", 403, 403, 403),
])
def test_the_communes_pages_by_role(app, tenants, claim, role, read, edit, submit):
    client = client_as(app, (tenants[1], role))
    token = csrf(client.get("/grenchen/").get_data(as_text=True))
    routes = commune_routes(*claim[:2])
    # Submit first (while the claim is a draft), then the rest; a refused button changes nothing.
    check(client, routes["submit"][:1], submit, token)
    check(client, routes["read"], read, token)
    check(client, routes["edit"], edit, token)
    check(client, routes["submit"][1:], submit, token)


@pytest.mark.parametrize("who", ["other tenant's admin", "canton admin", "finance"])
def test_strangers_get_404_on_every_page_of_the_communes_claims(app, tenants, claim, who):
    canton, _grenchen, buchegg = tenants[:3]
    membership = {"other tenant's admin": (buchegg, "tenant_admin"), "canton admin": (canton, "canton_admin"),
                  "finance": (canton, "subventionen.finance")}[who]
    client = client_as(app, membership)
    token = csrf(client.get(f"/{membership[0].slug}/").get_data(as_text=True))
    for routes in commune_routes(*claim[:2]).values():
        check(client, routes, 404, token)
    assert client.get(f"/grenchen/anhang/{claim[2]}").status_code == 404


def test_a_tenant_sees_only_its_own_claims_even_by_id(app, tenants, claim):
    buchegg = tenants[2]
    own = prepared(buchegg)
    client = client_as(app, (buchegg, "tenant_admin"))
    token = csrf(client.get("/buchegg/subventionen/").get_data(as_text=True))
    listing = text(client.get("/buchegg/subventionen/"))
    assert str(own.id) in listing and str(claim[0]) not in listing
    foreign = f"/buchegg/subventionen/abrechnungen/{claim[0]}"
    for method, url in [("GET", foreign), ("POST", f"{foreign}/berechnen"), ("POST", f"{foreign}/einreichen"),
                        ("POST", f"{foreign}/kosten/{claim[1]}/entfernen"), ("POST", f"{foreign}/zurueckziehen")]:
        assert status(client, method, url, token) == 404, url
    assert client.get(f"/buchegg/anhang/{claim[2]}").status_code == 404


def test_a_receipt_is_read_with_the_claims_and_removed_only_with_its_cost(app, tenants, claim):
    grenchen = tenants[1]
    reader = client_as(app, (grenchen, "read_only"))
    assert reader.get(f"/grenchen/anhang/{claim[2]}").status_code == 200
    admin = client_as(app, (grenchen, "tenant_admin"))
    token = csrf(admin.get("/grenchen/").get_data(as_text=True))
    assert admin.post(f"/grenchen/anhang/{claim[2]}/loeschen", data={"csrf_token": token}).status_code == 403
    with tenant_scope(grenchen):
        assert db.session.get(Attachment, (grenchen.id, claim[2])).deleted_at is None
    clerk = client_as(app, (grenchen, "residents_services"))
    assert clerk.get(f"/grenchen/anhang/{claim[2]}").status_code == 403


@pytest.mark.parametrize("role, expected", [
    ("subventionen.finance", OK), ("canton_admin", 403), ("canton_office", 403), ("read_only", 403)])
def test_the_cantons_credit_pages_need_the_finance_role(app, tenants, role, expected):
    client = client_as(app, (tenants[0], role))
    token = csrf(client.get("/kanton/").get_data(as_text=True))
    check(client, CANTON_ROUTES, expected, token)


def test_a_commune_never_reaches_the_credit_pages_and_the_canton_has_no_claims(app, tenants):
    admin = client_as(app, (tenants[1], "tenant_admin"))
    token = csrf(admin.get("/grenchen/").get_data(as_text=True))
    check(admin, [(m, u.replace("/kanton/", "/grenchen/")) for m, u in CANTON_ROUTES], 404, token)
    finance = client_as(app, (tenants[0], "subventionen.finance"))
    assert finance.get("/kanton/subventionen/regeln/2017").status_code == 404
    assert finance.get("/kanton/subventionen/").status_code == 404


def test_where_the_module_is_off_every_page_is_404(app, tenants, claim):
    canton, grenchen, _buchegg, _lueterkofen, balsthal = tenants
    outsider = client_as(app, (balsthal, "tenant_admin"))
    assert outsider.get("/balsthal/subventionen/").status_code == 404
    modules.suspend(grenchen, "subventionen")
    modules.suspend(canton, "subventionen")
    db.session.commit()
    admin = client_as(app, (grenchen, "tenant_admin"))
    token = csrf(admin.get("/grenchen/").get_data(as_text=True))
    for routes in commune_routes(*claim[:2]).values():
        check(admin, routes, 404, token)
    assert admin.get(f"/grenchen/anhang/{claim[2]}").status_code == 404  # nobody answers for the receipt
    finance = client_as(app, (canton, "subventionen.finance"))
    check(finance, CANTON_ROUTES, 404, csrf(finance.get("/kanton/").get_data(as_text=True)))


def test_the_menu_shows_each_side_its_entry(app, tenants):
    officer = client_as(app, (tenants[1], "integration_officer"))
    home = text(officer.get("/grenchen/"))
    assert 'href="/grenchen/subventionen/"' in home and "/kredit" not in home
    finance = client_as(app, (tenants[0], "subventionen.finance"))
    home = text(finance.get("/kanton/"))
    assert 'href="/kanton/subventionen/kredit"' in home and 'href="/kanton/subventionen/"' not in home

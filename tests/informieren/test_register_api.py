"""The register's API: list, read, create, update; scopes, other tenants, an inactive module, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import clock, modules
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.models import Newcomer, PersonChange
from tests.conftest import make_tenant
from tests.informieren.register_support import VN, VN_DIGITS, active_tenant, add_person, token

BASE = "/api/v1/grenchen/informieren/newcomers"
NEWCOMER = {
    "official_name": "Silva", "first_name": "Ana", "sex": "f", "date_of_birth": "1985-03",
    "nationalities": ["PT"], "languages": ["pt", "fr"], "arrival_date": "2017-03-01", "municipality_bfs": 2546,
    "permit_category": "B", "street": "Bahnhofstrasse", "house_number": "12", "postal_code": "2540",
    "town": "Grenchen", "local_person_id": "2546:1001", "vn": VN,
}


@pytest.fixture
def grenchen(ctx):
    return active_tenant("grenchen", [2546])


@pytest.fixture
def writer(grenchen):
    return token(grenchen, "informieren:read", "informieren:write")


def stored(tenant) -> list[Newcomer]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Newcomer).execution_options(populate_existing=True)).all()


def test_create_read_update_and_list(client, grenchen, writer):
    created = client.post(BASE, json=NEWCOMER, headers=writer)
    assert created.status_code == 201
    body = created.get_json()
    assert created.headers["Location"].endswith(f"{BASE}/{body['id']}")
    assert body["vn"] == VN_DIGITS and body["eu_efta"] is True and body["source"] == "api"
    assert body["stage"] == "new" and body["arrival_date"] == "2017-03-01" and body["languages"] == ["pt", "fr"]
    assert client.get(f"{BASE}/{body['id']}", headers=writer).get_json() == body
    patched = client.patch(f"{BASE}/{body['id']}", json={"first_name": "Ana Maria", "town": None}, headers=writer)
    assert patched.status_code == 200
    assert patched.get_json()["first_name"] == "Ana Maria" and patched.get_json()["town"] is None
    assert patched.get_json()["official_name"] == "Silva"
    listing = client.get(BASE, headers=writer).get_json()
    assert listing["total"] == 1 and listing["pages"] == 1 and listing["items"][0]["first_name"] == "Ana Maria"
    with tenant_scope(grenchen):
        kinds = db.session.execute(sa.select(PersonChange.kind, PersonChange.source, PersonChange.fields)
                                   .order_by(PersonChange.occurred_at)).all()
    assert [(k, s) for k, s, _f in kinds] == [("created", "api"), ("edited", "api")]
    assert kinds[1][2] == ["first_name", "town"] and kinds[0][0] == "created"


def test_a_repeated_post_with_the_same_id_creates_nothing(client, grenchen, writer):
    key = str(uuid.uuid4())
    first = client.post(BASE, json={**NEWCOMER, "id": key}, headers=writer)
    second = client.post(BASE, json={**NEWCOMER, "id": key}, headers=writer)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"] == key
    assert len(stored(grenchen)) == 1
    again = client.post(BASE, json=NEWCOMER, headers=writer)  # no id: a second person, but the same AHV number
    assert again.status_code == 422 and "gehört bereits" in again.get_json()["fields"]["vn"][0]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"official_name": None}, "official_name", "Bitte ausfüllen."),
    ({"vn": "756.9217.0769.84"}, "vn", "Prüfziffer"),
    ({"date_of_birth": 1985}, "date_of_birth", "TT.MM.JJJJ"),
    ({"nationalities": "PT"}, "nationalities", None),
    ({"nationalities": [1]}, "nationalities", "Liste von Codes"),
    ({"languages": ["pt", "klingon"]}, "languages", "Unbekannter Sprachcode: klingon"),
    ({"arrival_date": (clock.today() + timedelta(days=1)).isoformat()}, "arrival_date", "Zukunft"),
    ({"municipality_bfs": 2422}, "municipality_bfs", "betreut Grenchen nicht"),
    ({"municipality_bfs": "zwei"}, "municipality_bfs", "Gemeinde wählen"),
    ({"sex": "x"}, "sex", "«f»"),
    ({"first_name": 7}, "first_name", "Text"),
    ({"moves_with": "nobody"}, "moves_with", "gibt es nicht"),
    ({"id": "not-a-uuid"}, "id", "UUID"),
    ({"colour": "blue"}, "colour", "Unbekanntes Feld."),
])
def test_invalid_bodies_get_field_messages(client, grenchen, writer, change, field, message):
    response = client.post(BASE, json={**NEWCOMER, **change}, headers=writer)
    if message is None:  # a single code where a list is expected is read as the list of one
        assert response.status_code == 201
        return
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and list(body["fields"]) == [field]
    assert message in body["fields"][field][0]
    assert stored(grenchen) == []


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "null"])
def test_a_body_that_is_no_json_object_is_a_bad_request(client, grenchen, writer, payload):
    response = client.post(BASE, data=payload, headers={**writer, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_read_only_fields_are_ignored(client, grenchen, writer):
    response = client.post(BASE, json={**NEWCOMER, "stage": "held", "source": "manual", "eu_efta": False},
                           headers=writer)
    assert response.status_code == 201
    assert (response.get_json()["stage"], response.get_json()["source"], response.get_json()["eu_efta"]) == (
        "new", "api", True)


def test_patch_checks_only_what_it_changes(client, grenchen, writer):
    person = add_person(grenchen, permit_category="03")  # an import's value the API would not take
    response = client.patch(f"{BASE}/{person.id}", json={"languages": ["ti"], "permit_category": "03"},
                            headers=writer)
    assert response.status_code == 200 and response.get_json()["languages"] == ["ti"]
    bad = client.patch(f"{BASE}/{person.id}", json={"arrival_date": "2017-13-01", "first_name": ""}, headers=writer)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"arrival_date", "first_name"}
    assert stored(grenchen)[0].languages == ["ti"]
    nothing = client.patch(f"{BASE}/{person.id}", json={}, headers=writer)
    assert nothing.status_code == 200


def test_list_filters_and_paging(client, grenchen, writer):
    for day in range(1, 8):
        add_person(grenchen, official_name=f"P{day}", arrival_date=date(2017, 3, day))
    page = client.get(f"{BASE}?per_page=3&page=2", headers=writer).get_json()
    assert [p["official_name"] for p in page["items"]] == ["P4", "P3", "P2"]
    assert (page["total"], page["pages"], page["page"], page["per_page"]) == (7, 3, 2, 3)
    window = client.get(f"{BASE}?arrival_from=2017-03-02&arrival_to=2017-03-03&commune=2546", headers=writer)
    assert [p["official_name"] for p in window.get_json()["items"]] == ["P3", "P2"]
    assert client.get(f"{BASE}?commune=2422", headers=writer).get_json()["total"] == 0
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get(f"{BASE}?changed_since={future.replace('+', '%2B')}", headers=writer).get_json()["total"] == 0
    assert client.get(f"{BASE}?changed_since=2017-01-01T00:00:00Z", headers=writer).get_json()["total"] == 7


@pytest.mark.parametrize("query", ["page=0", "per_page=500", "per_page=x", "arrival_from=gestern",
                                   "commune=Grenchen", "changed_since=bald",
                                   "arrival_from=2017-06-01&arrival_to=2017-01-01"])
def test_bad_list_parameters_are_a_bad_request(client, grenchen, writer, query):
    response = client.get(f"{BASE}?{query}", headers=writer)
    assert response.status_code == 400
    assert list(response.get_json()["fields"]) == [query.split("&")[-1].split("=")[0]]


def test_scopes(client, grenchen):
    person = add_person(grenchen)
    reader, writer_only = token(grenchen, "informieren:read"), token(grenchen, "informieren:write")
    assert client.get(BASE, headers=reader).status_code == 200
    assert client.get(f"{BASE}/{person.id}", headers=reader).status_code == 200
    assert client.post(BASE, json=NEWCOMER, headers=reader).status_code == 403
    assert client.patch(f"{BASE}/{person.id}", json={"first_name": "X"}, headers=reader).status_code == 403
    assert client.get(BASE, headers=writer_only).status_code == 403
    assert client.post(BASE, json=NEWCOMER, headers=writer_only).status_code == 201
    core_only = token(grenchen, "core:read")
    assert client.get(BASE, headers=core_only).status_code == 403
    assert client.get(BASE).status_code == 401


def test_another_tenant_is_not_found(client, grenchen, writer):
    balsthal = active_tenant("balsthal", [2422])
    theirs = add_person(balsthal, municipality_bfs=2422)
    mine = add_person(grenchen)
    assert client.get(f"{BASE}/{theirs.id}", headers=writer).status_code == 404
    assert client.patch(f"{BASE}/{theirs.id}", json={"first_name": "X"}, headers=writer).status_code == 404
    their_base = "/api/v1/balsthal/informieren/newcomers"
    for method, url in (("get", their_base), ("get", f"{their_base}/{theirs.id}"), ("post", their_base),
                        ("patch", f"{their_base}/{theirs.id}")):
        assert getattr(client, method)(url, json=NEWCOMER, headers=writer).status_code == 404
    assert client.get(f"{BASE}/{uuid.uuid4()}", headers=writer).status_code == 404
    assert client.get(f"{BASE}/not-a-uuid", headers=writer).status_code == 404
    ids = [p["id"] for p in client.get(BASE, headers=writer).get_json()["items"]]
    assert ids == [str(mine.id)]
    moved = client.post(BASE, json={**NEWCOMER, "moves_with": str(theirs.id)}, headers=writer)
    assert moved.status_code == 422 and "moves_with" in moved.get_json()["fields"]


def test_an_inactive_module_is_not_found(client, ctx):
    tenant = make_tenant("grenchen", communes=[2546])
    modules.entitle(tenant, "informieren")
    db.session.commit()
    headers = token(tenant, "informieren:read", "informieren:write")
    person = add_person(tenant)
    assert client.get(BASE, headers=headers).status_code == 404
    assert client.get(f"{BASE}/{person.id}", headers=headers).status_code == 404
    assert client.post(BASE, json=NEWCOMER, headers=headers).status_code == 404
    assert client.patch(f"{BASE}/{person.id}", json={}, headers=headers).status_code == 404
    modules.activate(tenant, "informieren")
    db.session.commit()
    assert client.get(BASE, headers=headers).status_code == 200


def test_the_openapi_document_describes_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    collection = paths["/api/v1/{tenant}/informieren/newcomers"]
    item = paths["/api/v1/{tenant}/informieren/newcomers/{person_id}"]
    assert collection["get"]["security"] == [{"bearer": ["informieren:read"]}]
    assert collection["post"]["security"] == [{"bearer": ["informieren:write"]}]
    assert item["patch"]["security"] == [{"bearer": ["informieren:write"]}]
    create = collection["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"official_name", "first_name", "arrival_date", "municipality_bfs"} == set(create["required"])
    assert "vn" in create["properties"] and "moves_with" in create["properties"]
    listed = collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "eu_efta" in listed["properties"]["items"]["items"]["properties"]
    assert "stage" in item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]

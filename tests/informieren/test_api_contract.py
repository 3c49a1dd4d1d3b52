"""Issue 11: the OpenAPI document names every answer an endpoint gives; bodies are required; 405 says Allow."""

from __future__ import annotations

import uuid

import pytest

from tests.informieren.register_support import VN_DIGITS, active_tenant, add_person, token
from tests.informieren.test_register_api import BASE, NEWCOMER

COMMON = {"401", "403", "404"}
DOCUMENTED = {
    ("/api/v1/{tenant}/tenant", "get"): {"200"},
    ("/api/v1/{tenant}/informieren/newcomers", "get"): {"200", "400"},
    ("/api/v1/{tenant}/informieren/newcomers", "post"): {"200", "201", "400", "409", "413", "415", "422"},
    ("/api/v1/{tenant}/informieren/newcomers/{person_id}", "get"): {"200"},
    ("/api/v1/{tenant}/informieren/newcomers/{person_id}", "patch"): {"200", "400", "409", "413", "415", "422"},
    ("/api/v1/{tenant}/informieren/deliveries", "post"): {"200", "202", "400", "409", "413", "415", "422"},
    ("/api/v1/{tenant}/foerdern/offers", "get"): {"200", "400"},
    ("/api/v1/{tenant}/foerdern/needs", "get"): {"200", "400"},
    ("/api/v1/{tenant}/foerdern/needs/uncovered", "get"): {"200"},
    ("/api/v1/{tenant}/foerdern/referrals", "get"): {"200", "400"},
    ("/api/v1/{tenant}/fordern/cases", "get"): {"200", "400"},
}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_every_endpoint_documents_each_of_its_answers(document):
    found = {(path, method): set(operation["responses"]) for path, item in document["paths"].items()
             for method, operation in item.items()}
    assert found == {key: codes | COMMON for key, codes in DOCUMENTED.items()}


def test_request_bodies_are_required(document):
    bodies = [operation["requestBody"] for item in document["paths"].values() for operation in item.values()
              if "requestBody" in operation]
    assert len(bodies) == 3 and all(body["required"] is True for body in bodies)


def test_the_answers_the_register_gives_are_the_documented_ones(client, ctx, document):
    """Each status code provoked here must be in the document for its endpoint."""
    grenchen = active_tenant("grenchen", [2546])
    writer = token(grenchen, "informieren:read", "informieren:write")
    person = add_person(grenchen, vn=VN_DIGITS)
    key = str(uuid.uuid4())
    json_headers = {**writer, "Content-Type": "application/json"}
    item = f"{BASE}/{person.id}"
    observed = {
        ("newcomers", "get"): [client.get(BASE, headers=writer), client.get(f"{BASE}?page=x", headers=writer)],
        ("newcomers", "post"): [
            client.post(BASE, json={**NEWCOMER, "vn": None, "id": key}, headers=writer),
            client.post(BASE, json={**NEWCOMER, "vn": None, "id": key}, headers=writer),
            client.post(BASE, json={**NEWCOMER, "vn": None, "id": key, "first_name": "B"}, headers=writer),
            client.post(BASE, data="[", headers=json_headers),
            client.post(BASE, data="{}", headers=writer),
            client.post(BASE, json={}, headers=writer),
            client.post(BASE, data="{}" + " " * 2**20, headers=json_headers),
        ],
        ("newcomers/{person_id}", "get"): [client.get(item, headers=writer)],
        ("newcomers/{person_id}", "patch"): [
            client.patch(item, json={}, headers=writer), client.patch(item, data="[", headers=json_headers),
            client.patch(item, data="{}", headers=writer), client.patch(item, json={"sex": "x"}, headers=writer),
        ],
    }
    for (path, method), responses in observed.items():
        documented = set(document["paths"][f"/api/v1/{{tenant}}/informieren/{path}"][method]["responses"])
        codes = {str(response.status_code) for response in responses}
        assert codes <= documented, (path, method, codes - documented)
    posted = {r.status_code for r in observed[("newcomers", "post")]}
    assert posted == {200, 201, 400, 409, 413, 415, 422}


def test_a_wrong_method_answers_405_with_allow(client, ctx):
    active_tenant("grenchen", [2546])
    response = client.delete(BASE)
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    item = client.put(f"{BASE}/{uuid.uuid4()}")
    assert item.status_code == 405 and {"GET", "PATCH"} <= set(item.headers["Allow"].split(", "))


def _body_schema(document, path: str, method: str) -> dict:
    [content] = document["paths"][f"/api/v1/{{tenant}}/informieren/{path}"][method]["requestBody"]["content"].values()
    return content["schema"]


def test_the_bodies_the_register_refuses_by_their_shape_are_outside_the_document(client, ctx, document):
    """schemathesis sent bodies the document allowed and the register refused: unknown fields, blank names,
    texts longer than the register keeps, an empty delivery. The document now says so, and the register
    still refuses each of them."""
    grenchen = active_tenant("grenchen", [2546])
    writer = token(grenchen, "informieren:read", "informieren:write")
    for path, method in (("newcomers", "post"), ("newcomers/{person_id}", "patch")):
        schema = _body_schema(document, path, method)
        assert schema["additionalProperties"] is False
        names = schema["properties"]["official_name"], schema["properties"]["first_name"]
        assert all(name["minLength"] == 1 and name["pattern"] == r"\S" for name in names)
        assert (schema["properties"]["street"]["maxLength"], schema["properties"]["town"]["maxLength"]) == (150, 100)
        assert {"source", "stage", "created_at"} <= {n for n, p in schema["properties"].items() if p.get("readOnly")}
    assert _body_schema(document, "deliveries", "post")["minLength"] == 1
    refused = [
        client.post(BASE, json={**NEWCOMER, "nickname": "x"}, headers=writer),
        client.post(BASE, json={**NEWCOMER, "first_name": " "}, headers=writer),
        client.post(BASE, json={**NEWCOMER, "street": "x" * 151}, headers=writer),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422]
    assert set(refused[0].get_json()["fields"]) == {"nickname"}


def test_what_a_client_read_can_be_sent_back(client, ctx):
    """The read-only fields the document lists in a body are accepted and ignored, as it says."""
    grenchen = active_tenant("grenchen", [2546])
    writer = token(grenchen, "informieren:read", "informieren:write")
    person = add_person(grenchen)
    record = client.get(f"{BASE}/{person.id}", headers=writer).get_json()
    answer = client.patch(f"{BASE}/{person.id}", json={**record, "source": "csv", "stage": "x"}, headers=writer)
    assert answer.status_code == 200 and answer.get_json()["source"] == record["source"]

"""Issue 11: what a write-only token sees, malformed JSON that must not be a 500, and the register's checks."""

from __future__ import annotations

import uuid

import pytest

from tests.informieren.register_support import VN, VN_DIGITS, active_tenant, add_person, token
from tests.informieren.test_register_api import BASE, NEWCOMER

WRITE_ANSWER = {"id", "created_at", "updated_at"}  # what a write needs back: the key and the version


@pytest.fixture
def grenchen(ctx):
    return active_tenant("grenchen", [2546])


@pytest.fixture
def write_only(grenchen):
    return token(grenchen, "informieren:write")


# -- a write-only token reads nothing --------------------------------------------------------------------------


def test_a_write_only_token_gets_back_the_key_not_the_record(client, grenchen, write_only):
    person = add_person(grenchen, vn=VN_DIGITS)
    patched = client.patch(f"{BASE}/{person.id}", json={}, headers=write_only)
    assert patched.status_code == 200 and set(patched.get_json()) == WRITE_ANSWER
    created = client.post(BASE, json={**NEWCOMER, "vn": None, "local_person_id": None}, headers=write_only)
    assert created.status_code == 201 and set(created.get_json()) == WRITE_ANSWER
    # with the read scope too, the whole record comes back
    both = token(grenchen, "informieren:read", "informieren:write")
    full = client.patch(f"{BASE}/{person.id}", json={}, headers=both).get_json()
    assert full["vn"] == VN_DIGITS and full["official_name"] == person.official_name


def test_a_post_with_an_existing_id_needs_the_required_fields(client, grenchen, write_only):
    person = add_person(grenchen, vn=VN_DIGITS)
    response = client.post(BASE, json={"id": str(person.id)}, headers=write_only)
    assert response.status_code == 422
    body = response.get_json()
    assert "official_name" in body["fields"] and "vn" not in str(body) and person.official_name not in str(body)


def test_a_post_with_an_existing_id_and_other_data_is_a_conflict(client, grenchen, write_only):
    key = str(uuid.uuid4())
    assert client.post(BASE, json={**NEWCOMER, "id": key}, headers=write_only).status_code == 201
    again = client.post(BASE, json={**NEWCOMER, "id": key}, headers=write_only)
    assert again.status_code == 200 and set(again.get_json()) == WRITE_ANSWER
    other = client.post(BASE, json={**NEWCOMER, "id": key, "first_name": "Bea"}, headers=write_only)
    assert other.status_code == 409 and other.get_json()["id"] == key and "Ana" not in other.text


def test_a_duplicate_ahv_number_names_the_field_not_the_holder(client, grenchen, write_only):
    holder = add_person(grenchen, vn=VN_DIGITS, official_name="Geheimname")
    response = client.post(BASE, json=NEWCOMER, headers=write_only)
    assert response.status_code == 422 and "vn" in response.get_json()["fields"]
    assert holder.official_name not in response.text and holder.first_name not in response.text
    other = add_person(grenchen, vn=None, local_person_id=None, official_name="Zweite")
    patched = client.patch(f"{BASE}/{other.id}", json={"vn": VN}, headers=write_only)
    assert patched.status_code == 422 and "Geheimname" not in patched.text


# -- malformed input: 400 or 422, never 500 ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=18446744073709551617", "per_page=²",
                                   "page=%C2%B2", "commune=99999999999999999999"])
def test_absurd_list_parameters_are_a_bad_request(client, grenchen, query):
    response = client.get(f"{BASE}?{query}", headers=token(grenchen, "informieren:read"))
    assert response.status_code == 400 and response.is_json


@pytest.mark.parametrize("body", [
    '{"official_name": "Sil\\u0000va"}',
    '{"official_name": "Sil\\ud800va"}',
    '{"nationalities": ["P\\u0000T"]}',
    '{"fir\\u0000st_name": "Ana"}',
])
def test_nul_bytes_and_lone_surrogates_are_refused(client, grenchen, write_only, body):
    person = add_person(grenchen)
    for method, url in (("post", BASE), ("patch", f"{BASE}/{person.id}")):
        response = getattr(client, method)(url, data=body, headers={**write_only, "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.is_json and response.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("change", [{"permit_category": ["B"]}, {"sex": ["f"]}, {"sex": {"f": 1}},
                                    {"official_name": ["Silva"]}, {"municipality_bfs": [2546]},
                                    {"permit_category": {"B": True}}, {"moves_with": ["new"]}])
def test_a_list_where_a_text_is_expected_is_a_field_error(client, grenchen, write_only, change):
    response = client.post(BASE, json={**NEWCOMER, **change}, headers=write_only)
    assert response.status_code == 422, response.text
    assert list(response.get_json()["fields"]) == list(change)
    person = add_person(grenchen, vn=None, local_person_id=None)
    patched = client.patch(f"{BASE}/{person.id}", json=change, headers=write_only)
    assert patched.status_code == 422 and list(patched.get_json()["fields"]) == list(change)


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_is_a_bad_request(client, grenchen, write_only, depth):
    body = '{"official_name": ' + "[" * depth + "]" * depth + "}"
    response = client.post(BASE, data=body, headers={**write_only, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.is_json


@pytest.mark.parametrize("bfs", [459439750870371968, -2546, 0, 10000])
def test_a_commune_number_no_column_holds_is_a_field_error_even_with_a_bad_arrival_date(client, grenchen, write_only,
                                                                                        bfs):
    # Found by the contract run on PostgreSQL: with the arrival date refused, the number reached a query (500).
    body = {**NEWCOMER, "municipality_bfs": bfs, "arrival_date": "1262-09-02", "local_person_id": "x1"}
    response = client.post(BASE, json=body, headers=write_only)
    assert response.status_code == 422
    assert response.get_json()["fields"]["municipality_bfs"] == ["Bitte eine Gemeinde wählen."]

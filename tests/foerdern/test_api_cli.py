"""Fördern's API and commands: the offers a tenant shows, public or with a token; other tenants'; bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core import api, clock
from core.db import db
from tests.conftest import make_tenant
from tests.foerdern.support import publish_offer

URL = "/api/v1/{}/foerdern/offers"


def token(tenant, *scopes) -> dict:
    _, text = api.issue_token(tenant, "Website", list(scopes))
    db.session.commit()
    return {"Authorization": f"Bearer {text}"}


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["title"]["de"] for item in response.get_json()["items"]]


def test_the_offers_are_public_and_name_their_publisher(client, world):
    _canton, _grenchen, _bettlach, _balsthal = world
    assert titles(client.get(URL.format("bettlach"))) == ["Kantonaler Elternkurs", "Regionaler Sprachkurs"]
    assert titles(client.get(URL.format("balsthal"))) == ["Kantonaler Elternkurs"]
    item = client.get(URL.format("grenchen")).get_json()["items"][0]
    assert item["publisher"] == {"slug": "grenchen", "name": "Grenchen"} and item["reach"] == "own"
    assert item["current"] is True and item["hidden"] is False and item["cost"]["amount"] == 0


def test_a_token_sees_expired_and_hidden_offers_marked(client, world):
    _canton, _grenchen, bettlach, _ = world
    publish_offer(bettlach, "Abgelaufener Kurs", valid_until=clock.today() - timedelta(days=3))
    assert "Abgelaufener Kurs" not in titles(client.get(URL.format("bettlach")))
    assert client.get(URL.format("bettlach") + "?all=1").status_code == 401
    headers = token(bettlach, "foerdern:read")
    every = client.get(URL.format("bettlach") + "?all=1", headers=headers).get_json()["items"]
    expired = next(item for item in every if item["title"]["de"] == "Abgelaufener Kurs")
    assert expired["current"] is False
    assert "Deutschtreff Grenchen" not in [item["title"]["de"] for item in every]  # never another's own offer
    assert client.get(URL.format("bettlach") + "?all=yes", headers=headers).status_code == 400


def test_a_token_of_another_tenant_or_without_the_scope_is_refused(client, world):
    _, grenchen, bettlach, _ = world
    assert client.get(URL.format("bettlach"), headers=token(grenchen, "foerdern:read")).status_code == 404
    assert client.get(URL.format("bettlach"), headers=token(bettlach, "core:read")).status_code == 403
    assert client.get(URL.format("bettlach"), headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_a_tenant_without_foerdern_has_no_offers_api(client, ctx):
    make_tenant("olten", communes=[2581])
    assert client.get(URL.format("olten")).status_code == 404


def test_the_openapi_document_says_the_token_is_optional(client, ctx):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/{tenant}/foerdern/offers"]["get"]
    assert {} in operation["security"] and {"bearer": ["foerdern:read"]} in operation["security"]


@pytest.fixture
def cli_world(world, runner):
    return world


def test_the_offers_command_lists_what_a_tenant_shows(runner, cli_world):
    result = runner.invoke(args=["foerdern", "offers", "bettlach"])
    assert result.exit_code == 0, result.output
    assert "Kantonaler Elternkurs" in result.output and "cantonal" in result.output
    assert "3 Angebote" not in result.output and "2 Angebote in Bettlach." in result.output
    items = json.loads(runner.invoke(args=["foerdern", "offers", "bettlach", "--json"]).output)
    assert [(item["publisher"], item["reach"]) for item in items] == [("kanton", "cantonal"), ("grenchen", "regional")]


def test_the_offers_command_refuses_an_unknown_tenant_or_one_without_foerdern(runner, cli_world):
    make_tenant("olten", communes=[2581])
    for slug, message in (("nirgends", "nirgends"), ("olten", "nicht aktiv")):
        result = runner.invoke(args=["foerdern", "offers", slug])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output

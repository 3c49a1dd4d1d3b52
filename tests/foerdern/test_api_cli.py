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


# -- needs and referrals ----------------------------------------------------------------------------------


@pytest.fixture
def referred(today, ctx):
    """Grenchen: Samrawit referred to a German course for her language need, with a note; Balsthal empty."""
    from tests.foerdern import needs_support as support

    grenchen, balsthal = support.active_tenant("grenchen"), support.active_tenant("balsthal")
    person, offer = support.add_person(grenchen), support.add_offer(grenchen, "language_course")
    need = support.add_need(grenchen, person, "language", "A1", note="Nur vormittags")
    support.add_need(grenchen, person, "housing")
    support.refer(grenchen, person, offer, need)
    return grenchen, balsthal, person


def test_needs_and_referrals_by_token_with_their_scope_without_notes(client, referred):
    grenchen, balsthal, person = referred
    needs_url, referrals_url = "/api/v1/grenchen/foerdern/needs", "/api/v1/grenchen/foerdern/referrals"
    assert client.get(needs_url).status_code == 401  # not public
    assert client.get(needs_url, headers=token(grenchen, "foerdern:read")).status_code == 403
    headers = token(grenchen, "foerdern:needs", "foerdern:referrals")
    items = client.get(needs_url, headers=headers).get_json()["items"]
    assert [(i["category"], i["level"], i["state"]) for i in items] == [("language", "A1", "open"),
                                                                         ("housing", None, "open")]
    assert all(i["person_id"] == str(person.id) for i in items) and "Nur vormittags" not in str(items)
    assert client.get(f"{needs_url}?state=met", headers=headers).get_json()["items"] == []
    assert client.get(f"{needs_url}?state=nonsense", headers=headers).status_code == 400
    [referral] = client.get(referrals_url, headers=headers).get_json()["items"]
    assert referral["state"] == "proposed" and referral["offer"]["title"] == {"de": "Deutschkurs A1"}
    assert referral["steps"] == [{"state": "proposed", "on": "2017-06-15"}]
    uncovered = client.get(f"{needs_url}/uncovered", headers=headers).get_json()
    assert uncovered["categories"]["housing"] == 1 and uncovered["categories"]["language"] == 0
    # Balsthal's token reads Balsthal's: nothing of Grenchen's; Grenchen's token is unknown there.
    other = token(balsthal, "foerdern:needs", "foerdern:referrals")
    assert client.get("/api/v1/balsthal/foerdern/needs", headers=other).get_json()["items"] == []
    assert client.get("/api/v1/balsthal/foerdern/referrals", headers=other).get_json()["items"] == []
    assert client.get("/api/v1/balsthal/foerdern/needs", headers=headers).status_code == 404


def test_the_needs_command_prints_what_no_offer_covers(runner, referred):
    result = runner.invoke(args=["foerdern", "needs", "grenchen"])
    assert result.exit_code == 0, result.output
    assert "1 von 2 offenen Bedürfnissen in Grenchen ohne passendes Angebot." in result.output
    data = json.loads(runner.invoke(args=["foerdern", "needs", "grenchen", "--json"]).output)
    rows = {row["category"]: row for row in data["categories"]}
    assert rows["housing"] == {"category": "housing", "open": 1, "uncovered": 1, "offers": 0}
    assert data["languages"] == {"ti": 1}

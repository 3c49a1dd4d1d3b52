"""Hostile input on the web answers a clear 400 (or a page), never a 500: NUL bytes and lone
surrogates in query strings and forms, page numbers beyond any integer column."""

from __future__ import annotations

import pytest

from core.input_guard import MAX_PAGE, has_bad_characters, page_number
from tests.conftest import login_as
from tests.informieren.register_support import active_tenant, post_form, text, valid_form

HUGE = "99999999999999999999"  # beyond 64 bits


@pytest.fixture
def grenchen(ctx):
    return active_tenant("grenchen", [2546])


@pytest.fixture
def admin(client, grenchen):
    login_as(client, (grenchen, "tenant_admin"))
    return client


def refused(response) -> bool:
    return response.status_code == 400 and "unzulässige Zeichen" in text(response)


@pytest.mark.parametrize("url", [
    "/grenchen/personen/?suche=%00",
    "/grenchen/personen/?suche=a%00b",
    "/grenchen/informieren/personen?suche=%00",
    "/grenchen/protokoll?action=%00",
    "/grenchen/protokoll.csv?action=%00",
    "/grenchen/protokoll?act%00ion=x",  # in a name too
])
def test_a_nul_byte_in_the_query_string_is_refused_with_a_message(admin, url):
    assert refused(admin.get(url))


def test_the_refusal_speaks_the_users_language(admin):
    admin.get("/language/fr")
    response = admin.get("/grenchen/personen/?suche=%00")
    assert response.status_code == 400 and "caractères non autorisés" in text(response)


def test_an_api_client_gets_the_refusal_as_json(client, grenchen):
    response = client.get("/api/v1/grenchen/tenant?x=%00")
    assert response.status_code == 400 and response.json["error"] == "invalid_characters"


@pytest.mark.parametrize("url", [
    "/grenchen/personen/",
    "/grenchen/informieren/",
    "/grenchen/informieren/?liste=letter_due",
    "/grenchen/informieren/gespraeche",
    "/grenchen/informieren/personen",
    "/grenchen/protokoll",
])
@pytest.mark.parametrize("page", [HUGE, "-" + HUGE, "1e9", "abc", "0", "%C2%B2", "9" * 5000])
def test_any_page_number_shows_a_page(admin, url, page):
    glue = "&" if "?" in url else "?"
    assert admin.get(f"{url}{glue}seite={page}").status_code == 200


def test_a_nul_byte_in_the_person_form_is_refused_and_nothing_stored(client, grenchen):
    login_as(client, (grenchen, "residents_services"))
    url = "/grenchen/informieren/personen/neu"
    assert refused(post_form(client, url, valid_form(official_name="Sil\x00va")))
    assert "Sil" not in text(client.get("/grenchen/informieren/personen"))
    assert post_form(client, url, valid_form()).status_code == 302  # the form itself still works


def test_a_nul_byte_in_another_text_form_is_refused(admin):
    url = "/grenchen/informieren/einstellungen"
    page = admin.get(url).text
    assert refused(post_form(admin, "/grenchen/informieren/einstellungen/themen",
                             {"action": "add", "label": "Wohnen\x00"}, page=page))


def test_surrogates_and_nul_are_bad_characters_and_ordinary_text_is_not():
    assert has_bad_characters("a\x00b") and has_bad_characters("\ud800") and has_bad_characters("x\udfff")
    assert not has_bad_characters("Müller – Ça va? 😀 \t\r\n")


@pytest.mark.parametrize(("raw", "expected"), [
    (None, 1), ("", 1), ("abc", 1), ("0", 1), ("-3", 1), ("1e9", 1), (" 2", 1), ("²", 1), ("٣", 1),
    ("1", 1), ("7", 7), (HUGE, MAX_PAGE), (str(MAX_PAGE + 1), MAX_PAGE),
])
def test_page_number(raw, expected):
    assert page_number(raw) == expected

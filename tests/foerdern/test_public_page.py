"""Fördern's public offers page /<tenant>/angebote: no login, the offers of every reach a tenant shows, search and
filters, languages (fallback to German, right to left), 404 where the module is not active, cacheable, no cookie."""

from __future__ import annotations

import html
import re

import pytest

from core import modules
from core.db import db
from tests.conftest import login_as
from tests.foerdern import public_world

PAGE = "/grenchen/angebote"


@pytest.fixture
def world(ctx):
    return public_world.build()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def titles(response) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", title)) for title in
            re.findall(r"<h2[^>]*>(.*?)</h2>", response.get_data(as_text=True))]


# -- who shows what ----------------------------------------------------------------------------------


def test_the_page_needs_no_login_and_shows_own_regional_and_cantonal_offers(client, world):
    page = client.get(PAGE)
    assert page.status_code == 200
    assert titles(page) == ["Deutschkurs A1 für Mütter", "Elterncafé Zentrum", "Gesundheitstreff Thal",
                            "Jobcoaching Kanton", "Rechtsberatung für Migrantinnen und Migranten"]
    body = text(page)
    assert "Angebot des Kantons" in body and "Regionales Angebot von Balsthal" in body
    assert "<script" not in body
    assert 'method="get"' in body and "csrf" not in body  # a plain GET form, nothing to post


def test_each_tenant_shows_its_own_and_what_is_shared_with_it_never_another_tenants_own(client, world):
    balsthal = titles(client.get("/balsthal/angebote"))
    # Its own club and regional offer, the canton's offer; not the cantonal offer it hid, nor Grenchen's.
    assert balsthal == ["Fussballclub Balsthal", "Gesundheitstreff Thal",
                        "Rechtsberatung für Migrantinnen und Migranten"]
    kanton = titles(client.get("/kanton/angebote"))
    assert kanton == ["Jobcoaching Kanton", "Rechtsberatung für Migrantinnen und Migranten"]
    grenchen = titles(client.get(PAGE))
    assert "Fussballclub Balsthal" not in grenchen and "Dornacher Sprachtreff" not in grenchen
    assert "Jobcoaching Kanton" in grenchen  # hidden in Balsthal only


def test_expired_and_not_yet_valid_offers_do_not_show(client, world):
    body = text(client.get(PAGE))
    assert "Abgelaufener Kurs" not in body and "Kurs ab nächstem Jahr" not in body


@pytest.mark.parametrize("state", ["none", "entitled", "suspended"])
@pytest.mark.parametrize("path", ["/angebote", "/angebote.ics", "/angebote.json"])
@pytest.mark.parametrize("lang", ["", "?lang=fr", "?lang=ar", "?lang=ti", "?lang=xx"])
def test_a_tenant_without_foerdern_answers_404(client, world, state, path, lang):
    from tests.conftest import make_tenant

    tenant = {"entitled": world.dornach}.get(state)
    if state == "none":
        tenant = make_tenant("zuchwil", communes=[2534])
    if state == "suspended":
        tenant = world.balsthal
        modules.suspend(tenant, "foerdern")
        db.session.commit()
    response = client.get(f"/{tenant.slug}{path}{lang}")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")


def test_unknown_and_archived_tenants_answer_404(client, world):
    from core import provisioning

    assert client.get("/nirgends/angebote").status_code == 404
    provisioning.archive_tenant(world.balsthal)
    db.session.commit()
    assert client.get("/balsthal/angebote").status_code == 404
    # Balsthal's regional offer still shows in Grenchen: archiving is not withdrawing (its staff may return).
    assert client.get(PAGE).status_code == 200


# -- search and filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("?q=elterncafe", ["Elterncafé Zentrum"]),  # accents do not matter
    ("?q=ELTERNCAFÉ", ["Elterncafé Zentrum"]),
    ("?q=garde+enfants", ["Deutschkurs A1 für Mütter"]),  # a French description; every word somewhere
    ("?q=ecap", ["Deutschkurs A1 für Mütter"]),  # the provider
    ("?q=ትምህርቲ", ["Deutschkurs A1 für Mütter"]),  # Tigrinya, whatever the page's language
    ("?q=muetter", ["Deutschkurs A1 für Mütter"]),  # Swiss spelling without umlauts
    ("?q=nichts+dergleichen", []),
    ("?art=language_course", ["Deutschkurs A1 für Mütter"]),
    ("?art=counselling", ["Rechtsberatung für Migrantinnen und Migranten"]),
    ("?sprache=ar", ["Elterncafé Zentrum", "Rechtsberatung für Migrantinnen und Migranten"]),
    ("?fuer=parents", ["Deutschkurs A1 für Mütter", "Elterncafé Zentrum"]),
    ("?kostenlos=1", ["Elterncafé Zentrum", "Gesundheitstreff Thal", "Jobcoaching Kanton",
                      "Rechtsberatung für Migrantinnen und Migranten"]),
    ("?kostenlos=1&fuer=parents", ["Elterncafé Zentrum"]),
    ("?art=language_course&kostenlos=1", []),
])
def test_search_and_filters(client, world, query, expected):
    page = client.get(PAGE + query)
    assert page.status_code == 200
    assert titles(page) == expected


@pytest.mark.parametrize("query", ["?art=unknown", "?art=own:not-a-uuid", "?sprache=xx", "?fuer=kinder",
                                   "?kostenlos=vielleicht", "?q=" + "x" * 5000, "?q=%3Cscript%3E", "?art=a&art=b"])
def test_bad_filters_filter_nothing_and_never_fail(client, world, query):
    page = client.get(PAGE + query)
    assert page.status_code == 200
    assert len(titles(page)) in (0, 5)
    assert "<script>" not in page.get_data(as_text=True)


def test_the_form_offers_only_choices_some_offer_has_and_keeps_the_chosen_ones(client, world):
    body = text(client.get(PAGE + "?art=parents_group&kostenlos=1&lang=fr"))
    assert '<option value="parents_group" selected>' in body
    assert 'value="club"' not in body  # Balsthal's club is not shown in Grenchen
    assert 'name="kostenlos" value="1" checked' in body
    assert '<input type="hidden" name="lang" value="fr">' in body
    assert 'value="ar" lang="ar" dir="rtl"' in body  # a language of the offers, by its own name
    # The language switch keeps the filters.
    assert 'href="/grenchen/angebote?art=parents_group&amp;kostenlos=1&amp;lang=ti"' in client.get(
        PAGE + "?art=parents_group&kostenlos=1&lang=fr").get_data(as_text=True)


# -- languages -------------------------------------------------------------------------------------------


def test_french_texts_with_german_marked_where_missing(client, world):
    page = client.get(PAGE + "?lang=fr")
    body = page.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in body
    assert titles(page) == ["Conseil juridique", "Cours d'allemand A1 pour mères", "Elterncafé Zentrum",
                            "Gesundheitstreff Thal", "Jobcoaching Kanton"]  # by the title in the page's language
    assert '<h2 lang="de">Elterncafé Zentrum</h2>' in body
    assert "Deutsch – pas encore traduit" in body
    assert "Offre du canton" in body
    assert "gratuit" in body and "CHF 120.00" in body and "avec la KulturLegi" in body


def test_arabic_is_right_to_left_with_the_page_words_of_a_ui_language(client, world):
    page = client.get(PAGE + "?lang=ar", headers={"Accept-Language": "ar, fr;q=0.8"})
    body = page.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in body
    assert '<h2 lang="de" dir="ltr">Elterncafé Zentrum</h2>' in body  # no Arabic text: German, left to right
    assert '<h1 lang="fr" dir="ltr" data-ui>Offres d’intégration</h1>' in body  # the browser's UI language
    assert "Accept-Language" in page.headers["Vary"]


def test_tigrinya_shows_its_translation_and_german_elsewhere(client, world):
    page = client.get(PAGE + "?lang=ti")
    assert '<html lang="ti" dir="ltr">' in page.get_data(as_text=True)
    assert "ትምህርቲ ጀርመንኛ A1" in titles(page)
    assert '<h2 lang="de">Elterncafé Zentrum</h2>' in page.get_data(as_text=True)


def test_a_language_the_tenant_does_not_offer_falls_back(client, world):
    page = client.get(PAGE + "?lang=uk")
    assert page.status_code == 200 and '<html lang="de"' in page.get_data(as_text=True)
    assert client.get("/balsthal/angebote?lang=fr").get_data(as_text=True).count('<html lang="de"') == 1


# -- same for everybody, cacheable ----------------------------------------------------------------------


def test_cacheable_without_a_cookie_for_visitors_and_logged_in_staff(app, client, world):
    page = client.get(PAGE + "?lang=fr")
    assert page.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert page.headers["Content-Language"] == "fr" and "Set-Cookie" not in page.headers
    assert client.get(PAGE + "?lang=fr", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    staff = app.test_client()
    login_as(staff, (world.grenchen, "integration_officer"), name="Greta Gerber")
    seen = staff.get(PAGE + "?lang=fr")
    assert "Set-Cookie" not in seen.headers and "Greta Gerber" not in seen.get_data(as_text=True)
    assert seen.get_data() == page.get_data()
    assert staff.get("/grenchen/foerdern/angebote").status_code == 200  # the session lives on


def test_an_empty_page_says_so(client, ctx):
    from tests.conftest import make_tenant

    tenant = make_tenant("oensingen", communes=[2407])
    public_world.activate(tenant)
    body = text(client.get("/oensingen/angebote"))
    assert "Zurzeit sind keine Angebote eingetragen." in body and "<form" not in body

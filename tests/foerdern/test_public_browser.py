"""The public offers page in a real Chromium: in French on a phone without JavaScript, filtered by kind and
«gratuit»; axe-core finds nothing serious on it (de, fr, ar) nor on the offers editor. Screenshots go to
tmp_path (and to $FOERDERN_SHOTS, when set)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from core import content_languages, modules
from core.db import db
from core.tenancy import get_tenant
from tests.accessibility import serious_violations
from tests.foerdern import public_world
from tests.foerdern.test_offers_browser import _shoot, _sign_in
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, site, watched_page  # noqa: F401 (site: a fixture)


def _offers(app) -> None:
    """Grenchen with Fördern, in French, Tigrinya and Arabic; its own offers and one of the canton."""
    with app.app_context():
        kanton, grenchen = get_tenant("kanton"), get_tenant("grenchen")
        for tenant in (kanton, grenchen):
            modules.entitle(tenant, "foerdern")
            modules.activate(tenant, "foerdern")
        content_languages.set_offered(grenchen, ["fr", "ti", "ar"])
        db.session.commit()
        public_world.add(grenchen, "kurs", kind="language_course", cost=12000, target_groups=["adults"],
                         title={"de": "Deutschkurs A1", "fr": "Cours d'allemand A1", "ar": "دورة اللغة الألمانية"})
        public_world.add(grenchen, "treff", kind="language_course", title={"de": "Sprachtreff", "fr": "Café langues"},
                         description={"de": "Deutsch sprechen bei Kaffee und Kuchen."})
        public_world.add(grenchen, "cafe", kind="parents_group", title={"de": "Elterncafé"}, languages=["de", "ti"])
        public_world.add(kanton, "beratung", reach="cantonal", kind="counselling",
                         title={"de": "Rechtsberatung", "fr": "Conseil juridique"})
        db.session.remove()


def test_the_page_in_french_on_a_phone_without_javascript_filters_by_kind_and_free(site, tmp_path):  # noqa: F811
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    app, base, _provider = site
    _offers(app)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="fr-CH", viewport={"width": 390, "height": 844},
                                          java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{base}/grenchen/angebote?lang=fr")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            expect(page.locator("h1")).to_have_text("Offres d’intégration")
            expect(page.locator("main h2")).to_have_count(4)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
            _shoot(page, tmp_path, "public-fr-390")
            page.select_option("#art", label="Cours de langue")
            page.check("#kostenlos")
            page.click("form.filters button[type=submit]")
            expect(page).to_have_url(re.compile(r"art=language_course.*kostenlos=1"))
            expect(page.locator("main h2")).to_have_text(["Café langues"])  # the course costs, the café is free
            expect(page.locator("#anzahl")).to_have_text("1 offres sur 4")
            expect(page.locator("#art")).to_have_value("language_course")  # the form keeps the choice
            expect(page.locator("#kostenlos")).to_be_checked()
            _shoot(page, tmp_path, "public-fr-390-filtered")
            page.click("text=Supprimer les filtres")
            expect(page.locator("main h2")).to_have_count(4)
            assert context.cookies() == []
            context.close()
        finally:
            browser.close()


def test_axe_finds_nothing_serious_on_the_public_page_and_the_editor(site, tmp_path):  # noqa: F811
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    app, base, provider = site
    _offers(app)
    problems: list[str] = []  # console errors, CSP violations
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context, page = watched_page(browser, provider, problems)
            for language, width in (("de", 1280), ("fr", 390), ("ar", 390), ("ar", 1280)):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{base}/grenchen/angebote?lang={language}")
                violations += serious_violations(page)
                page.goto(f"{base}/grenchen/angebote?lang={language}&kostenlos=1&art=language_course")
                violations += serious_violations(page)
            page.goto(f"{base}/grenchen/foerdern/angebote/neu")
            _sign_in(page, provider)
            expect(page).to_have_url(f"{base}/grenchen/foerdern/angebote/neu")
            violations += serious_violations(page)
            page.fill("#title-de", "Deutschkurs B1")  # with an error message beside a field
            page.check("input[name=timing][value=dates]")
            page.fill("#starts_on", "2030-09-04")
            page.fill("#ends_on", "2030-06-01")
            page.click("form.offer-form button[type=submit]")
            expect(page.locator("#ends_on-error")).to_be_visible()
            violations += serious_violations(page)
            context.close()
        finally:
            browser.close()
    assert not violations, "\n".join(violations)
    # The refused form answers 400, as Fördern's editor does; nothing else went wrong.
    assert [p for p in problems if "status of 400" not in p] == [], problems

"""The offers' editor and list in a real Chromium, at a desk's width and a phone's: enter an offer with a
mistake, see the error beside its field, correct it, find it in the list. Screenshots go to tmp_path
(and to $FOERDERN_SHOTS, when set, for a person to look at)."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from core import clock, content_languages, modules
from core.db import db
from core.tenancy import get_tenant
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PNG_SIGNATURE, site, watched_page  # noqa: F401 (site: a fixture)

WIDTHS = {"desk": (1280, 900), "phone": (390, 844)}


def _shoot(page, tmp_path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    if os.environ.get("FOERDERN_SHOTS"):
        os.makedirs(os.environ["FOERDERN_SHOTS"], exist_ok=True)
        shutil.copyfile(shot, os.path.join(os.environ["FOERDERN_SHOTS"], shot.name))


def _sign_in(page, provider) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.fill("#login input[name=login]", "anna")
    page.fill("#login input[name=password]", "test")
    page.click("#login button[type=submit]")
    page.click("#consent button[type=submit]")


def test_an_officer_enters_an_offer_and_finds_it_in_the_list(site, tmp_path):  # noqa: F811 (the fixture)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    app, base, provider = site
    with app.app_context():
        grenchen = get_tenant("grenchen")
        modules.entitle(grenchen, "foerdern")
        modules.activate(grenchen, "foerdern")
        content_languages.set_offered(grenchen, ["fr", "ti", "ar"])
        db.session.commit()
        db.session.remove()
    year = clock.today().year + 1
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/grenchen/foerdern/angebote")
            _sign_in(page, provider)
            expect(page).to_have_url(f"{base}/grenchen/foerdern/angebote")
            page.click("text=Neues Angebot")
            page.fill("#title-de", "Deutschkurs A1 für Mütter")
            page.fill("#title-ti", "ናይ ጀርመንኛ ኮርስ A1")
            page.fill("#description-de", "Deutsch lernen in kleinen Gruppen; die Kinder werden nebenan betreut.")
            page.select_option("#kind", "language_course")
            page.fill("#provider_name", "ECAP Solothurn")
            page.select_option("#municipality", "2546")
            page.check("input[name=timing][value=dates]")
            page.fill("#starts_on", f"{year}-09-04")
            page.fill("#ends_on", f"{year}-06-01")  # before the start: refused
            page.check("input[name=target_groups][value=parents]")
            page.check("#women_only")
            page.check("#childcare")
            page.fill("#cost", "120")
            page.fill("#registration_url", "www.ecap.ch")  # no scheme: refused
            page.click("form.offer-form button[type=submit]")
            expect(page.locator("#ends_on-error")).to_have_text("Das Ende liegt vor dem Beginn.")
            expect(page.locator("#registration_url-error")).to_contain_text("https://")
            expect(page.locator("#ends_on")).to_have_attribute("aria-invalid", "true")
            for name, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                _shoot(page, tmp_path, f"editor-errors-{name}-{width}")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.fill("#ends_on", f"{year}-12-18")
            page.fill("#registration_url", "https://www.ecap.ch/anmeldung")
            page.click("form.offer-form button[type=submit]")
            expect(page.locator("main h1")).to_have_text("Deutschkurs A1 für Mütter")
            expect(page.locator(".flashes")).to_have_text("Das Angebot ist gespeichert.")
            for name, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                _shoot(page, tmp_path, f"offer-{name}-{width}")
            page.click("text=Alle Angebote")
            expect(page.locator("#count")).to_have_text("1 Angebot")
            for name, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                _shoot(page, tmp_path, f"list-{name}-{width}")
            page.click("header nav.languages a[lang=fr]")
            expect(page.locator("table.offers small.untranslated")).to_have_text("(en allemand, pas encore traduit)")
            _shoot(page, tmp_path, "list-fr-phone-390")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.click("table.offers a")
            page.click("text=Modifier")
            _shoot(page, tmp_path, "editor-fr-desk-1280")
            context.close()
        finally:
            browser.close()
    # The refused form answers 400, which Chromium logs; nothing else may show up.
    expected = f"status of 400 (BAD REQUEST) ({base}/grenchen/foerdern/angebote/neu)"
    assert [problem for problem in problems if expected not in problem] == [], "\n".join(problems)

"""The batch preview in a real Chromium at 1280 and 390 px: flags, choices, generating, the letter as a page.

axe-core finds nothing serious on the preview. Screenshots (the preview at both widths, the first letter
rendered from the PDF) go to tmp_path, and to $LETTER_SHOTS when set, for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import expect, sync_playwright

from core import clock, provisioning
from core.db import db
from core.tenancy import get_tenant, tenant_scope
from plugins.informieren.letters import templates as letter_templates
from plugins.informieren.models import Newcomer
from tests.accessibility import serious_violations
from tests.foerdern.test_offers_browser import _sign_in
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PNG_SIGNATURE, site, watched_page  # noqa: F401 (fixture)


def _keep(path: Path) -> Path:
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    if os.environ.get("LETTER_SHOTS"):
        os.makedirs(os.environ["LETTER_SHOTS"], exist_ok=True)
        shutil.copyfile(path, os.path.join(os.environ["LETTER_SHOTS"], path.name))
    return path


def _newcomers(app) -> None:
    """A Portuguese household, a Ukrainian reader with a Cyrillic name, someone without an address."""
    arrival = clock.today() - timedelta(days=20)
    address = {"street": "Bielstrasse", "house_number": "12", "postal_code": "2540", "town": "Grenchen"}
    with app.app_context():
        grenchen = get_tenant("grenchen")
        provisioning.set_setting(grenchen, letter_templates.CONTACT_SETTING,
                                 "Integrationsstelle Grenchen, Dammstrasse 14, 2540 Grenchen\n"
                                 "Telefon 032 000 00 00, integration@grenchen.example")
        with tenant_scope(grenchen):
            for first, family, born, languages, household, where in (
                    ("João", "Pereira", "1980", ["fr", "pt"], "P", address),
                    ("Ana", "Silva Pereira", "1982", ["pt"], "P", address),
                    ("Inês", "Silva Pereira", "2012", ["pt"], "P", address),
                    ("Олена", "Шевченко", "1990", ["uk"], None, {**address, "street": "Kirchstrasse"}),
                    ("Jonas", "Müller", "1992-02-14", ["de"], None, {"town": "Grenchen"})):
                db.session.add(Newcomer(first_name=first, official_name=family, date_of_birth=born, languages=languages,
                                        household_key=household, arrival_date=arrival, municipality_bfs=2546,
                                        nationalities=[], **where))
        db.session.commit()
        db.session.remove()


def test_the_officer_previews_chooses_and_generates_the_letters(site, tmp_path):  # noqa: F811 (the fixture)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    app, base, provider = site
    _newcomers(app)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            _context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/grenchen/informieren/schreiben")
            _sign_in(page, provider)
            page.get_by_role("button", name="Vorschau der Schreiben anzeigen").click()
            expect(page.locator("main h1")).to_have_text("Vorschau der Begrüssungsschreiben")
            main = page.locator("main")
            expect(main).to_contain_text("Adresse unvollständig, es fehlt: Strasse, Postleitzahl.")
            expect(main).to_contain_text("Olena Shevchenko")
            expect(main).to_contain_text("Keine Vorlage auf Ukrainisch für Олена Шевченко")
            expect(main).to_contain_text("Keine Vorlage auf Portugiesisch für Ana Silva Pereira, Inês Silva Pereira")
            expect(main).to_contain_text("João Pereira")
            violations = serious_violations(page)
            page.screenshot(path=str(tmp_path / "letters-preview-1280.png"), full_page=True)
            _keep(tmp_path / "letters-preview-1280.png")
            page.set_viewport_size({"width": 390, "height": 844})
            violations += serious_violations(page)
            page.screenshot(path=str(tmp_path / "letters-preview-390.png"), full_page=True)
            _keep(tmp_path / "letters-preview-390.png")
            box = page.locator("table.letter-preview").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # the cards fit the phone
            page.set_viewport_size({"width": 1280, "height": 900})

            # Jonas Müller has no street: not ticked. The officer includes him on purpose.
            held = page.get_by_label("trotzdem erstellen")
            expect(held).not_to_be_checked()
            held.check()
            page.get_by_role("button", name="Schreiben für die ausgewählten Haushalte erstellen").click()
            expect(main).to_contain_text("3 Schreiben erstellt.")
            expect(main).to_contain_text("1 davon an eine unvollständige Adresse (ausdrücklich eingeschlossen).")
            with page.expect_download() as download:
                page.locator("main a", has_text=re.compile(r"\.pdf$")).first.click()
            pdf = Path(download.value.path()).read_bytes()
            assert pdf.startswith(b"%PDF")
        finally:
            browser.close()
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 3
    for number in range(len(document)):
        document[number].render(scale=1.5).to_pil().save(tmp_path / f"letter-{number + 1}.png")
        _keep(tmp_path / f"letter-{number + 1}.png")
    assert problems == [] and violations == []


def test_the_newcomer_form_asks_before_saving_a_typed_duplicate(site, tmp_path):  # noqa: F811 (the fixture)
    app, base, provider = site
    _newcomers(app)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            _context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/grenchen/informieren/personen/neu")
            _sign_in(page, provider)
            page.fill("input[name=official_name]", "Mueller")
            page.fill("input[name=first_name]", "Jonas")
            page.fill("input[name=date_of_birth]", "14.02.1992")
            page.fill("input[name=arrival_date]", clock.today().isoformat())
            page.fill("input[name=street]", "Marktplatz")
            page.get_by_role("button", name="Speichern").click()
            warning = page.locator("#possible-duplicates")
            expect(warning).to_contain_text("Es gibt bereits eine Person mit diesem Namen und Geburtsdatum")
            expect(warning.get_by_role("link", name="Jonas Müller")).to_be_visible()
            expect(page.locator("input[name=street]")).to_have_value("Marktplatz")  # nothing typed is lost
            violations = serious_violations(page)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(tmp_path / f"duplicate-warning-{width}.png"), full_page=True)
                _keep(tmp_path / f"duplicate-warning-{width}.png")
            page.get_by_label("Es ist eine andere Person: trotzdem speichern").check()
            page.get_by_role("button", name="Speichern").click()
            expect(page.locator("main")).to_contain_text("Jonas Mueller ist erfasst.")
        finally:
            browser.close()
    assert problems == [] and violations == []

"""Preparing and submitting a claim in a real Chromium: Grenchen's administrator prepares the 2017 claim, enters a
cost with its receipt (a wrong amount first), submits it and reads its number; the canton's finance staff look at
the year's credit and rules.  Screenshots at a desk's and a phone's width go to tmp_path (and to
$SUBVENTIONEN_SHOTS, when set)."""

from __future__ import annotations

import io
import os
import shutil
import threading
from datetime import date

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from core.db import db
from core.tenancy import get_tenant
from tests.conftest import clear_database, make_app
from tests.oidc_provider import OIDCProvider
from tests.subventionen.world import GRENCHEN, newcomer, world
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PNG_SIGNATURE, _LateApp, watched_page
from tests.test_console_browser import _sign_in

CLIENT, SECRET = "start-integration", "a-test-secret"
ACCOUNTS = {
    "greta": {"email": "greta.gerber@grenchen.example", "name": "Greta Gerber", "groups": ["si-grenchen-admin"]},
    "franziska": {"email": "franziska.frei@so.example", "name": "Franziska Frei", "groups": ["si-kanton-finanz"]},
}
WIDTHS = {"desk": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def site(app, database_url, monkeypatch):
    """The app on a free port with the canton's provider; the 2017 credit and rules, Grenchen's activity."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    clients = [{"client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [f"{base}/auth/callback"],
                "post_logout_redirect_uris": [f"{base}/"]}]
    with OIDCProvider(clients=clients, accounts=ACCOUNTS) as provider:
        late.app = make_app(
            SQLALCHEMY_DATABASE_URI=database_url, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT,
            OIDC_CLIENT_SECRET=SECRET, SESSION_COOKIE_SECURE=False, REDIS_URL=None,
            OIDC_GROUP_ROLES={"si-grenchen-admin": "grenchen:tenant_admin",
                              "si-kanton-finanz": "kanton:subventionen.finance"},
        )
        with late.app.app_context():
            world(monkeypatch)
            grenchen = get_tenant("grenchen")
            for month in (3, 6, 9):
                newcomer(grenchen, GRENCHEN, letter_on=date(2017, month, 1), interview_on=date(2017, month, 20))
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base, provider
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
            clear_database(late.app)


def _shoot(page, tmp_path, name: str) -> None:
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        shot = tmp_path / f"{name}-{width_name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes().startswith(PNG_SIGNATURE)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than {width} px"
        if os.environ.get("SUBVENTIONEN_SHOTS"):
            os.makedirs(os.environ["SUBVENTIONEN_SHOTS"], exist_ok=True)
            shutil.copyfile(shot, os.path.join(os.environ["SUBVENTIONEN_SHOTS"], shot.name))
    page.set_viewport_size({"width": 1280, "height": 900})


def _receipt() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, "Rechnung Dolmetscherdienst")
    canvas.save()
    return buffer.getvalue()


def test_preparing_and_submitting_a_claim(site, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    base, provider = site
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            # Grenchen's administrator prepares the 2017 claim from the module's start page.
            context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/grenchen/subventionen/")
            _sign_in(page, provider, "greta")
            expect(page.locator("main h1")).to_have_text("Abrechnungen")
            _shoot(page, tmp_path, "claims-empty")
            page.select_option("#year", "2017")
            page.click("button:text-is('Vorbereiten')")
            expect(page.locator(".flashes")).to_contain_text("Die Abrechnung 2017 ist vorbereitet")
            lines = page.locator("#lines")
            expect(lines).to_contain_text("Grenchen: Begrüssungsschreiben versandt")
            expect(lines).to_contain_text("3 × CHF 50.00")
            expect(page.locator("#total")).to_have_text("CHF 7'600.00")  # 2'000 + 150 + 450 + 5'000

            # A cost with a wrong amount is refused beside its field; the corrected one counts.
            page.fill("#description", "Dolmetscherdienst Erstinformationsgespräche")
            page.fill("#amount", "1.234,50")
            page.fill("#spent_on", "2017-05-02")
            page.set_input_files("#receipt", files=[{"name": "rechnung.pdf", "mimeType": "application/pdf",
                                                     "buffer": _receipt()}])
            page.click("form[action$='/kosten'] button[type=submit]")
            expect(page.locator("#amount-error")).to_contain_text("ist kein Betrag in Franken")
            page.fill("#amount", "1'234.50")
            page.set_input_files("#receipt", files=[{"name": "rechnung.pdf", "mimeType": "application/pdf",
                                                     "buffer": _receipt()}])
            page.click("form[action$='/kosten'] button[type=submit]")
            expect(page.locator(".flashes")).to_contain_text("Die Kosten sind erfasst")
            expect(page.locator("#total")).to_have_text("CHF 8'217.25")  # + 50 % of 1'234.50 = 617.25
            expect(page.locator("main")).to_contain_text("rechnung.pdf")
            _shoot(page, tmp_path, "claim-draft")

            # Submitted: numbered, no more buttons that change it.
            page.click("text=Beim Kanton einreichen")
            expect(page.locator(".flashes")).to_contain_text(
                "Die Abrechnung ist beim Kanton eingereicht: SUB-2018-0001")
            expect(page.locator("#state")).to_have_text("eingereicht")
            expect(page.locator("button:text-is('Neu berechnen')")).to_have_count(0)
            expect(page.locator("button:text-is('Zurückziehen')")).to_have_count(1)
            _shoot(page, tmp_path, "claim-submitted")
            page.goto(f"{base}/grenchen/subventionen/")
            expect(page.locator("main table").first).to_contain_text("SUB-2018-0001")
            _shoot(page, tmp_path, "claims-list")
            page.goto(f"{base}/grenchen/subventionen/regeln/2017")
            expect(page.locator("#rules")).to_contain_text("Pauschale pro Gemeinde: CHF 2'000.00")
            _shoot(page, tmp_path, "rules-commune")
            context.close()

            # The canton's finance staff: the credits, the year, a new version of its rules.
            context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/kanton/subventionen/kredit")
            _sign_in(page, provider, "franziska")
            expect(page.locator("main table").first).to_contain_text("CHF 900'000.00")
            _shoot(page, tmp_path, "credits")
            page.click("main table >> text=2017")
            expect(page.locator("#rules li")).to_have_count(6)
            _shoot(page, tmp_path, "credit-year")
            page.click("text=Regeln ändern (neue Version)")
            expect(page.locator("#rules-1-amount")).to_have_value("2'000.00")
            page.fill("#rules-1-amount", "2'500")
            page.fill("#note", "Pauschale pro Gemeinde erhöht")
            _shoot(page, tmp_path, "rules-edit")
            page.click("text=Als neue Version speichern")
            expect(page.locator(".flashes")).to_contain_text("Version 2 der Regeln 2017 gilt ab jetzt.")
            expect(page.locator("#rules")).to_contain_text("Pauschale pro Gemeinde: CHF 2'500.00")
            context.close()
        finally:
            browser.close()
    expected = "status of 400 (BAD REQUEST)"  # the refused cost answers 400, which Chromium logs
    assert [problem for problem in problems if expected not in problem] == [], "\n".join(problems)

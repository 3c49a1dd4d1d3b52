"""The escalation end to end in a real Chromium: the commune's officer hands a case to the canton, the
canton's reviewer pre-checks it and concludes an agreement, the commune sees the outcome and its PDF.
Screenshots at a desk's and a phone's width go to tmp_path (and to $FORDERN_SHOTS, when set)."""

from __future__ import annotations

import os
import re
import shutil
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from core.db import db
from core.tenancy import get_tenant
from tests.conftest import clear_database, make_app
from tests.fordern.escalation_world import case_under_review, world
from tests.oidc_provider import OIDCProvider
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PNG_SIGNATURE, _LateApp, watched_page
from tests.test_console_browser import _sign_in

CLIENT, SECRET = "start-integration", "a-test-secret"
ACCOUNTS = {
    "greta": {"email": "greta.gerber@grenchen.example", "name": "Greta Gerber", "groups": ["si-grenchen-officer"]},
    "fabio": {"email": "fabio.bernasconi@so.example", "name": "Fabio Bernasconi", "groups": ["si-kanton-fordern"]},
}
WIDTHS = {"desk": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def site(app, database_url):
    """The app on a free port with the canton's provider: the canton, Grenchen and Balsthal with Fordern."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    clients = [{"client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [f"{base}/auth/callback"],
                "post_logout_redirect_uris": [f"{base}/"]}]
    with OIDCProvider(clients=clients, accounts=ACCOUNTS) as provider:
        late.app = make_app(
            SQLALCHEMY_DATABASE_URI=database_url, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT,
            OIDC_CLIENT_SECRET=SECRET, SESSION_COOKIE_SECURE=False, REDIS_URL=None,
            OIDC_GROUP_ROLES={"si-grenchen-officer": "grenchen:integration_officer",
                              "si-kanton-fordern": "kanton:fordern.canton_reviewer"},
        )
        with late.app.app_context():
            world()
            case = case_under_review(get_tenant("grenchen"))
            case_id = case.id
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base, provider, case_id
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
        if os.environ.get("FORDERN_SHOTS"):
            os.makedirs(os.environ["FORDERN_SHOTS"], exist_ok=True)
            shutil.copyfile(shot, os.path.join(os.environ["FORDERN_SHOTS"], shot.name))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_escalation_end_to_end(site, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    base, provider, case_id = site
    case_url = f"{base}/grenchen/fordern/faelle/{case_id}"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            # The commune's officer hands the case over, first forgetting the reason.
            context, page = watched_page(browser, provider, problems)
            page.goto(case_url)
            _sign_in(page, provider, "greta")
            expect(page).to_have_url(case_url)
            page.click("text=An den Kanton übergeben")
            expect(page.locator("#nationality")).to_have_value("ER")
            page.select_option("#permit", "B")
            page.select_option("#language", "fr")
            page.fill("#on", "2018-06-01")
            page.click("form.form button[type=submit]")
            expect(page.locator("#reason-error")).to_have_text("Bitte ausfüllen.")
            page.fill("#reason", "Nach zwei Runden von Massnahmen keine Verbesserung.")
            _shoot(page, tmp_path, "escalate-form")
            page.click("form.form button[type=submit]")
            expect(page).to_have_url(case_url)
            expect(page.locator(".flashes")).to_contain_text("Der Fall ist dem Kanton übergeben: Eingabe FO-")
            number = re.search(r"FO-\d{4}-\d{4}", page.locator(".flashes").inner_text()).group(0)
            context.close()

            # The canton's reviewer finds it, pre-checks it and concludes an agreement.
            context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/kanton/fordern/eskalationen")
            _sign_in(page, provider, "fabio")
            expect(page).to_have_url(f"{base}/kanton/fordern/eskalationen")
            page.click(f"text={number}")
            expect(page.locator("main h1")).to_contain_text(number)
            expect(page.locator("#nationality")).to_have_value("ER")
            page.fill("#decision_day", "2018-06-15")
            page.check("input[name=commune_agrees][value=yes]")
            page.fill("#reasons", "Drittstaatsangehöriger mit B; die Gemeinde stimmt zu.")
            page.click("form[action$='/vorpruefung'] button[type=submit]")  # today's basis still chosen
            expect(page.locator("#legal_basis-error")).to_have_text(
                "Am 15.06.2018 gilt «AuG»: bitte diese Rechtsgrundlage bestätigen.")
            expect(page.locator("#legal_basis option:checked")).to_contain_text("AuG")
            page.click("form[action$='/vorpruefung'] button[type=submit]")
            expect(page.locator(".notice").first).to_contain_text("Eine Integrationsvereinbarung ist möglich.")
            expect(page.locator(".notice").first).to_contain_text("AuG")
            _shoot(page, tmp_path, "review-prechecked")
            page.check("input[name=kind][value=agreement]")
            page.fill("#goals", "Deutsch auf Niveau A2 (mündlich) erreichen.")
            page.fill("#measures", "Deutschkurs A2 bei ECAP Grenchen, zweimal wöchentlich.")
            page.fill("#consequences", "Die Nichteinhaltung kann beim Entscheid über die Verlängerung der "
                                       "Aufenthaltsbewilligung berücksichtigt werden.")
            page.fill("#deadlines-0-label", "Anmeldung zum Deutschkurs A2")
            page.fill("#deadlines-0-due_on", "2018-08-31")
            page.fill("#canton_signatory", "Fabio Bernasconi, Fachstelle Integration")
            page.fill("#reason", "Voraussetzungen erfüllt; die Gemeinde stimmt zu.")
            page.click("button[value=draft]")
            preview = page.request.get(base + page.locator("text=PDF ansehen").get_attribute("href"))
            assert preview.ok and preview.body().startswith(b"%PDF-")  # shown in the browser, not downloaded
            page.click("button[value=conclude]")
            expect(page.locator(".flashes")).to_contain_text("Die Gemeinde sieht den Entscheid beim Fall.")
            expect(page.locator("#ergebnis")).to_be_visible()
            _shoot(page, tmp_path, "review-concluded")
            page.goto(f"{base}/kanton/fordern/rechtsgrundlagen")
            expect(page.locator("main table")).to_contain_text("ab 01.01.2019")
            _shoot(page, tmp_path, "legal-bases")
            context.close()

            # The commune sees the outcome on its case, with the PDF.
            context, page = watched_page(browser, provider, problems)
            page.goto(case_url)
            _sign_in(page, provider, "greta")
            panel = page.locator("section[aria-labelledby=escalation-heading]")
            expect(panel).to_contain_text("Integrationsvereinbarung abgeschlossen")
            expect(panel).to_contain_text("15.06.2018")
            _shoot(page, tmp_path, "commune-outcome")
            with page.expect_download() as download:
                panel.locator("text=PDF herunterladen").click()
            assert download.value.path().read_bytes().startswith(b"%PDF-")
            context.close()
        finally:
            browser.close()
    # Refused forms answer 400, which Chromium logs; nothing else may go wrong.
    expected = "status of 400 (BAD REQUEST)"
    assert [problem for problem in problems if expected not in problem] == [], "\n".join(problems)

"""End to end in a real Chromium (Playwright): sign in at the real provider, switch language, sign out.

Needs Debian's chromium at /usr/bin/chromium (``apt-get install chromium``; CI installs it). Playwright's own
browser downloads are never used.
"""

from __future__ import annotations

import re
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from core import modules
from core.db import db
from tests.conftest import clear_database, make_app, make_tenant
from tests.oidc_provider import OIDCProvider

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLIENT, SECRET = "start-integration", "a-test-secret"
ACCOUNTS = {
    "anna": {"email": "anna.amrein@grenchen.example", "name": "Anna Amrein", "groups": ["si-grenchen-officer"]},
}
TIMEOUT_MS = 10_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Playwright's init scripts are not subject to the page's CSP: report every violation to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI} on ${document.location.href}`);
});
"""


class _LateApp:
    """A WSGI app whose target is set after the server is bound (the app needs the port for its provider)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def watched_page(browser, provider, problems: list[str]):
    """A German page of a new context that reports console errors and CSP violations into ``problems``."""
    context = browser.new_context(locale="de-CH", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_function("reportViolation", lambda text: problems.append(f"CSP violation: {text}"))
    context.add_init_script(REPORT_VIOLATIONS)
    # The test provider has no favicon: Chromium's automatic request would log its 404 as a console error.
    # (The app's pages name their icon; the app itself must not log one.)
    context.route(re.compile(rf"^{re.escape(provider.issuer)}/favicon\.ico$"), lambda route: route.fulfill(status=204))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text} ({page.url})"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error} ({page.url})"))
    return context, page


@pytest.fixture
def site(app, database_url):
    """The app served on a free port of 127.0.0.1, signed in through a real provider; tenant grenchen."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    clients = [
        {
            "client_id": CLIENT,
            "client_secret": SECRET,
            "redirect_uris": [f"{base}/auth/callback"],
            "post_logout_redirect_uris": [f"{base}/"],
        },
    ]
    with OIDCProvider(clients=clients, accounts=ACCOUNTS) as provider:
        late.app = make_app(
            SQLALCHEMY_DATABASE_URI=database_url,
            OIDC_ISSUER=provider.issuer,
            OIDC_CLIENT_ID=CLIENT,
            OIDC_CLIENT_SECRET=SECRET,
            OIDC_GROUP_ROLES={"si-grenchen-officer": "grenchen:integration_officer"},
            SESSION_COOKIE_SECURE=False,  # the browser talks plain http
            REDIS_URL=None,  # jobs (imports, letters) run in the request, as on the embedded default
        )
        with late.app.app_context():
            make_tenant("kanton", kind="canton")
            grenchen = make_tenant("grenchen", communes=[2546])
            modules.entitle(grenchen, "informieren")
            modules.activate(grenchen, "informieren")
            db.session.commit()
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield late.app, base, provider
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
            clear_database(late.app)


def test_sign_in_switch_language_and_sign_out_in_a_real_browser(site, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    app, base, provider = site
    with app.test_request_context(), force_locale("fr"):
        logout_fr = gettext("Abmelden")  # "Se déconnecter" in the French catalogue
    assert logout_fr != "Abmelden", "the French catalogue has no translation of «Abmelden»"
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context, page = watched_page(browser, provider, problems)

            # Not signed in: through /auth/login to the provider's login form.
            page.goto(f"{base}/grenchen/informieren/")
            expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
            page.fill("#login input[name=login]", "anna")
            page.fill("#login input[name=password]", "test")
            page.click("#login button[type=submit]")
            page.click("#consent button[type=submit]")

            # Back where she wanted to go, signed in.
            expect(page).to_have_url(f"{base}/grenchen/informieren/")
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.locator("main h1")).to_have_text("Informieren")
            expect(page.locator("header .user")).to_have_text("Anna Amrein")
            expect(page.locator("header form.logout button")).to_have_text("Abmelden")
            shot = tmp_path / "informieren.png"
            page.screenshot(path=str(shot), full_page=True)
            shutil.copyfile(shot, "/tmp/si-browser.png")  # for a human to look at
            assert shot.stat().st_size > 0 and shot.read_bytes().startswith(PNG_SIGNATURE)

            # French, from the language links in the header.
            page.click("header nav.languages a[lang=fr]")
            expect(page).to_have_url(f"{base}/grenchen/informieren/")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            expect(page.locator("header nav.languages a[lang=fr]")).to_have_attribute("aria-current", "true")
            expect(page.locator("header nav.languages")).to_have_attribute("aria-label", "Langue")
            expect(page.locator("main h1")).to_have_text("Informer")
            expect(page.locator("header .user")).to_have_text("Anna Amrein")
            logout = page.locator("header form.logout button")
            expect(logout).to_have_text(logout_fr)

            # Sign out here and at the provider, which asks first.
            logout.click()
            expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/session/end"))
            page.click("button[name=logout][value=yes]")
            expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/(\?.*)?$"))
            expect(page.locator("main h1")).to_have_text("start.integration")
            expect(page.locator("header a.login")).to_be_visible()
            expect(page.locator("header .user")).to_have_count(0)
            page.goto(f"{base}/grenchen/informieren/")  # signed out at the provider too: its login form again
            expect(page.locator("#login input[name=login]")).to_be_visible()
            context.close()
        finally:
            browser.close()

    assert not problems, "\n".join(problems)


def _registry_zip(path: Path, arrival: date) -> Path:
    """A household of two arriving from abroad, and a move from Olten (skipped), as the registry sends them."""
    import zipfile
    from dataclasses import replace

    from tests.informieren import ech_messages as ech

    base = ech.PersonSpec(municipality=ech.GRENCHEN, town="Grenchen", postal_code="2540", household_id="HH-7",
                          arrival_date=arrival.isoformat(), language="ti", nationalities=((8207, "ER", "Eritrea"),))
    people = [replace(base, local_id="71", vn=ech.vn_with_check_digit(71), official_name="Tesfamariam",
                      first_name="Selam"),
              replace(base, local_id="72", vn=ech.vn_with_check_digit(72), official_name="Tesfamariam",
                      first_name="Dawit", sex="1"),
              replace(base, local_id="73", vn=ech.vn_with_check_digit(73), official_name="Rossi", first_name="Giulia",
                      household_id=None, origin=("swiss", ech.OLTEN))]
    with zipfile.ZipFile(path, "w") as archive:
        for number, person in enumerate(people, 1):
            archive.writestr(f"meldung-{number}.xml", ech.move_in(person, message_id=f"m-{number}"))
    return path


def test_a_commune_imports_a_delivery_prints_the_letters_and_records_an_interview(site, tmp_path):
    from core import clock

    today = clock.today()  # the tenant serves its commune from the day it was created
    _app, base, provider = site
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            _context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/grenchen/informieren/importe")
            page.fill("#login input[name=login]", "anna")
            page.fill("#login input[name=password]", "test")
            page.click("#login button[type=submit]")
            page.click("#consent button[type=submit]")
            expect(page).to_have_url(f"{base}/grenchen/informieren/importe")

            # The registry's delivery, uploaded: the upload lands on the import's result, with the new
            # persons by name; the job page says the same in words, its parameters folded away.
            delivery = _registry_zip(tmp_path / "lieferung.zip", today - timedelta(days=5))
            page.set_input_files("input[type=file]", str(delivery))
            page.get_by_role("button", name="Importieren").click()
            expect(page).to_have_url(re.compile(r".*/grenchen/informieren/importe/[0-9a-f-]{36}$"))
            expect(page.locator("main")).to_contain_text("fertig")
            expect(page.locator("main")).to_contain_text("lieferung.zip")
            expect(page.locator("main")).to_contain_text("Neu erfasste Personen")
            page.locator("main a[href*='/auftraege/']").first.click()
            expect(page.locator("main")).to_contain_text("Selam Tesfamariam")
            expect(page.locator("main details code").first).not_to_be_visible()  # the parameters folded away
            page.goto(f"{base}/grenchen/informieren/personen")
            expect(page.locator("main table tbody tr")).to_have_count(2)  # the move from Olten is no newcomer
            expect(page.locator("main")).to_contain_text("Tesfamariam, Selam")
            expect(page.locator("main")).not_to_contain_text("Rossi")

            # Welcome letters: one for the household, then marked as sent.
            page.goto(f"{base}/grenchen/informieren/schreiben")
            page.get_by_role("button", name="Vorschau der Schreiben anzeigen").click()
            expect(page.locator("main")).to_contain_text("Selam Tesfamariam")
            page.get_by_role("button", name="Schreiben für die ausgewählten Haushalte erstellen").click()
            with page.expect_download() as download:
                page.locator("main a", has_text=".pdf").first.click()
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
            page.goto(f"{base}/grenchen/informieren/schreiben")
            page.get_by_role("button", name="Alle als versandt markieren").click()
            expect(page.locator("main")).to_contain_text("als versandt markiert")

            # A first-information interview: invited by letter, then held.
            page.goto(f"{base}/grenchen/informieren/personen")
            page.get_by_role("link", name="Tesfamariam, Selam").click()
            expect(page.locator("main")).to_contain_text("Bewilligung bei Zuzug")  # core's page, Informieren's panel
            page.locator("main a", has_text="Erstinformationsgespräche").first.click()
            page.get_by_role("link", name="Zum Gespräch einladen").click()
            page.locator("input[name=invitation][value=letter]").check()
            page.fill("input[name=invited_on]", (today - timedelta(days=2)).isoformat())
            page.get_by_role("button", name="Speichern").click()
            page.get_by_role("link", name="Ergebnis festhalten").click()
            page.locator("input[name=outcome][value=held]").check()
            page.fill("input[name=held_on]", (today - timedelta(days=1)).isoformat())
            page.locator("input[name=topics]").first.check()
            page.fill("textarea[name=notes]", "Sprachkurs gewünscht.")
            page.get_by_role("button", name="Speichern").click()
            expect(page.locator("main")).to_contain_text("geführt")
            page.goto(f"{base}/grenchen/informieren/")
            expect(page.locator("main")).to_contain_text("Informieren")
        finally:
            browser.close()
    assert problems == []


"""Done-when of the canton console, in a real Chromium: a new commune from nothing to an active
Informieren module with an administrator who logs in through the real provider.
"""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from core.db import db
from tests.conftest import clear_database, make_app, make_tenant
from tests.oidc_provider import OIDCProvider
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _LateApp, watched_page

CLIENT, SECRET = "start-integration", "a-test-secret"
ACCOUNTS = {
    "kathrin": {"email": "kathrin.kaufmann@so.example", "name": "Kathrin Kaufmann", "groups": ["si-kanton-admin"]},
    "hanna": {"email": "hanna.haller@haerkingen.example", "name": "Hanna Haller", "groups": []},
}


@pytest.fixture
def site(app, database_url):
    """The app on a free port with the canton's provider; only the canton's tenant exists."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    clients = [{"client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [f"{base}/auth/callback"],
                "post_logout_redirect_uris": [f"{base}/"]}]
    with OIDCProvider(clients=clients, accounts=ACCOUNTS) as provider:
        late.app = make_app(
            SQLALCHEMY_DATABASE_URI=database_url, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT,
            OIDC_CLIENT_SECRET=SECRET, OIDC_GROUP_ROLES={"si-kanton-admin": "kanton:canton_admin"},
            SESSION_COOKIE_SECURE=False,
        )
        with late.app.app_context():
            make_tenant("kanton", kind="canton")
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


def _sign_in(page, provider, account: str) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.fill("#login input[name=login]", account)
    page.fill("#login input[name=password]", "test")
    page.click("#login button[type=submit]")
    page.click("#consent button[type=submit]")


def test_a_new_commune_from_nothing_to_informieren_with_its_administrator(site):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    base, provider = site
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            # The canton administrator signs in and opens the console from the menu.
            context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/kanton/")
            _sign_in(page, provider, "kathrin")
            expect(page).to_have_url(f"{base}/kanton/")
            page.click("header nav a:text-is('Mandanten')")
            expect(page.locator("main h1")).to_have_text("Mandanten")

            # A commune's tenant, picked from the reference list; name and slug proposed.
            page.click("text=Neuer Gemeinde-Mandant")
            page.select_option("select[name=commune]", "2402")
            expect(page.locator("input[name=slug]")).to_have_attribute("placeholder", "haerkingen")
            page.click("#create-commune button[type=submit]")
            expect(page).to_have_url(f"{base}/kanton/mandanten/haerkingen")
            expect(page.locator("main h1")).to_have_text("Härkingen")

            # Informieren: entitled, then switched on from today.
            row = page.locator("#module-informieren")
            row.locator("select[name=module-action]").select_option("entitle")
            row.locator("button").click()
            expect(page.locator("#module-informieren")).to_contain_text("freigegeben")
            row = page.locator("#module-informieren")
            row.locator("select[name=module-action]").select_option("activate")
            row.locator("button").click()
            expect(page.locator("#module-informieren")).to_contain_text("aktiv seit")

            # The first administrator, invited by e-mail address before she ever logged in.
            page.fill("#invite input[name=invite-email]", "Hanna.Haller@haerkingen.example")
            page.click("#invite button[type=submit]")
            expect(page.locator(".flashes")).to_contain_text("hanna.haller@haerkingen.example ist eingeladen")

            # The rollout dashboard shows the new tenant with Informieren on.
            page.click("header details.menu-group summary:text-is('Rollout')")  # the rollout's drop-down
            page.click("header nav a:text-is('Rollout-Übersicht')")
            expect(page.locator("main h1")).to_have_text("Rollout")
            new_row = page.locator("main table tr", has_text="Härkingen (2402)")
            expect(new_row).to_contain_text("aktiv seit")
            expect(page.locator("main")).not_to_contain_text("Härkingen (2402, Gäu)")  # no longer without a tenant
            context.close()

            # She logs in through the provider and finds her tenant with Informieren.
            context, page = watched_page(browser, provider, problems)
            page.goto(f"{base}/auth/login")
            _sign_in(page, provider, "hanna")
            expect(page).to_have_url(f"{base}/haerkingen/")
            expect(page.locator("main h1")).to_have_text("Härkingen")
            expect(page.locator("header .user")).to_have_text("Hanna Haller")
            expect(page.locator("table.modules")).to_contain_text("aktiv seit")
            page.click("header nav a:text-is('Informieren')")
            expect(page).to_have_url(f"{base}/haerkingen/informieren/")
            expect(page.locator("main h1")).to_have_text("Informieren")
            page.click("header details.admin-menu summary")  # the administration is folded away
            page.click("header nav a:text-is('Module')")
            expect(page.locator("header details.admin-menu summary")).to_have_class("current")
            expect(page.locator("#module-informieren")).to_contain_text("aktiv seit")
            expect(page.locator("header nav:not(.languages)")).not_to_contain_text("Modulplan")
            context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)

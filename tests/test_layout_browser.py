"""The layout in a real Chromium (issue 15, "Layout"): the canton administrator's and Grenchen's
integration officer's main pages at 1,280 and 390 px wide, each checked with axe-core (no serious or
critical violation) and for sideways panning; the phone's menu button, the skip link, the one-line
menu on a wide screen and the tenant switcher of a person working for two tenants.

Signs in through the development login on the demo (``flask demo load``), as ``make run`` does.
Screenshots of every page at both widths go to ``LAYOUT_SCREENSHOTS`` when it names a directory.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.accessibility import serious_violations
from tests.conftest import clear_database, make_app
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

WIDTHS = (1280, 390)
SCREENSHOTS = os.environ.get("LAYOUT_SCREENSHOTS")


@pytest.fixture
def demo_site(app, database_url):
    """The demo (canton, pilot tenants, demo people) served on a free port in development mode."""
    demo_app = make_app(SQLALCHEMY_DATABASE_URI=database_url, DEBUG=True, SESSION_COOKIE_SECURE=False)
    result = demo_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        clear_database(demo_app)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _signed_in(browser, base: str, name: str):
    context = browser.new_context(locale="de-CH", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text} ({page.url})"))
    page.goto(f"{base}/auth/dev-login/")
    page.click(f"button:has-text('{name}')")
    page.wait_for_load_state()
    return context, page, problems


def _main_pages(page, base: str, tenant: str) -> list[str]:
    """The tenant's start page and every page its menu links to (drop-downs included)."""
    page.goto(f"{base}/{tenant}/")
    links = page.eval_on_selector_all("details.menu nav a", "links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys([f"/{tenant}/", *links]))


def _walk(page, base: str, paths: list[str], label: str) -> list[str]:
    """Every page at both widths: axe's serious and critical findings, and any sideways panning."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            page.goto(base + path)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{path} at {width} px is {scroll_width} px wide")
            problems += serious_violations(page)
            if SCREENSHOTS:
                name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "start"
                page.screenshot(path=str(Path(SCREENSHOTS) / f"{label}-{width}-{name}.png"), full_page=True)
    return problems


def _menu_is_one_line(page) -> bool:
    return page.evaluate("""() => new Set([...document.querySelectorAll('details.menu nav > ul > li')]
                                        .map(item => item.getBoundingClientRect().top)).size === 1""")


@pytest.mark.parametrize(("person", "tenant", "least"), [("Kathrin Kaufmann", "kanton", 8),
                                                         ("Greta Gerber", "grenchen", 14)])
def test_main_pages_pass_axe_and_never_pan_sideways(demo_site, browser, person, tenant, least):
    context, page, problems = _signed_in(browser, demo_site, person)
    paths = _main_pages(page, demo_site, tenant)
    assert len(paths) >= least, paths
    for language in ("de", "fr", "it", "en"):  # the longest labels of any language fit
        page.goto(f"{demo_site}/language/{language}?next=/{tenant}/")
        assert _menu_is_one_line(page), f"the menu wraps at 1,280 px in {language}"
    page.goto(f"{demo_site}/language/de?next=/{tenant}/")
    problems += _walk(page, demo_site, paths, tenant)
    context.close()
    assert problems == []


def test_the_phone_s_menu_button_the_skip_link_and_the_drop_downs(demo_site, browser):
    context, page, problems = _signed_in(browser, demo_site, "Greta Gerber")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{demo_site}/grenchen/")
    persons = page.locator("details.menu nav a:text-is('Personen')")
    expect(persons).to_be_hidden()  # folded behind the menu button
    page.click("details.menu > summary")
    expect(persons).to_be_visible()
    page.click("details.admin-menu > summary")
    page.click("details.admin-menu a:text-is('Mitglieder')")
    expect(page.locator("main h1")).to_have_text("Mitglieder")
    expect(page.locator("details.menu")).not_to_have_attribute("open", "")  # a new page starts folded

    # The skip link is the first stop of the keyboard and leads into the page's content.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#inhalt$"))

    # On a wide screen the menu is open without a button; the administration drops down over the page.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{demo_site}/grenchen/")
    expect(page.locator("details.menu > summary")).to_be_hidden()
    expect(persons).to_be_visible()
    page.click("details.admin-menu > summary")
    expect(page.locator("details.admin-menu a:text-is('Protokoll')")).to_be_visible()
    assert _menu_is_one_line(page)
    context.close()
    assert problems == []


def test_a_person_working_for_two_tenants_switches_in_the_header(demo_site, browser):
    context, page, problems = _signed_in(browser, demo_site, "Regula Rüfenacht")
    page.goto(f"{demo_site}/balsthal/")
    switcher = page.locator("details.tenant-switch")
    expect(switcher.locator("summary")).to_contain_text("Balsthal")
    switcher.locator("summary").click()
    links = switcher.locator("a")
    expect(links).to_have_count(2)
    expect(switcher.locator("a[aria-current=true]")).to_have_text("Balsthal")
    switcher.locator("a", has_text="Buchegg").click()
    expect(page).to_have_url(f"{demo_site}/buchegg-lueterkofen/")
    expect(page.locator("details.tenant-switch a[aria-current=true]")).to_contain_text("Buchegg")
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 800})
    page.locator("details.tenant-switch summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context, page, more = _signed_in(browser, demo_site, "Greta Gerber")
    page.goto(f"{demo_site}/grenchen/")
    expect(page.locator("details.tenant-switch")).to_have_count(0)  # one tenant: nothing to switch
    context.close()
    assert problems + more == []

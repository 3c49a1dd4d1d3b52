"""A public page in a real Chromium (Playwright): Arabic on a phone is right to left, readable, and needs no script.

Needs Debian's chromium at /usr/bin/chromium (see tests/test_browser.py). Screenshots are copied to
/tmp/si-public-*.png for a human to look at.
"""

from __future__ import annotations

import shutil
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from core import content_languages, modules, provisioning
from core.db import db
from tests.conftest import clear_database, make_app, make_tenant
from tests.public_plugin import ITEMS
from tests.public_plugin import plugin as public_plugin
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PNG_SIGNATURE, REPORT_VIOLATIONS, TIMEOUT_MS

OFFERS = [
    {"title": {"de": "Deutschkurs A1 für Anfängerinnen und Anfänger", "ar": "دورة اللغة الألمانية للمبتدئين (A1)",
               "ti": "ትምህርቲ ቋንቋ ጀርመን ንጀመርቲ (A1)"},
     "text": {"de": "Montag und Mittwoch, 18.00–19.30 Uhr, Schulhaus Zentrum, Raum 12.\nKosten: CHF 50 pro Semester.",
              "ar": "الاثنين والأربعاء، 18:00–19:30، مدرسة المركز، الغرفة 12.\n"
                    "التكلفة: 50 فرنكًا سويسريًا للفصل الدراسي."}},
    {"title": {"de": "Elterntreff mit Kinderbetreuung"},
     "text": {"de": "Jeden Freitag, 9.00–11.00 Uhr, im Gemeindehaus. Eltern tauschen sich aus; "
                    "die Kinder spielen nebenan. Anmeldung nicht nötig."}},
    {"title": {"de": "Beratung für Neuzugezogene", "ar": "استشارات للقادمين الجدد"},
     "text": {"de": "Auf Anfrage, Telefon 032 655 66 77, integration@grenchen.example",
              "ar": "عند الطلب، الهاتف 032 655 66 77، integration@grenchen.example"}},
]


@pytest.fixture
def public_site(app, database_url):
    """The app with the test module, served on a free port; Grenchen offers ar, ti, uk, en, fr."""
    served = make_app(plugins=[public_plugin], SQLALCHEMY_DATABASE_URI=database_url, SESSION_COOKIE_SECURE=False)
    with served.app_context():
        make_tenant("kanton", kind="canton")
        grenchen = make_tenant("grenchen", communes=[2546], name="Grenchen")
        modules.entitle(grenchen, "test_public")
        modules.activate(grenchen, "test_public")
        content_languages.set_offered(grenchen, ["ar", "ti", "uk", "en", "fr"])
        provisioning.set_setting(grenchen, ITEMS, OFFERS)
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        clear_database(served)


def _open(browser, problems, width, *, javascript=True):
    context = browser.new_context(locale="ar", viewport={"width": width, "height": 844}, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    if javascript:
        context.expose_function("reportViolation", lambda text: problems.append(f"CSP violation: {text}"))
        context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text} ({page.url})"))
    return context, page


def _text_edges(locator) -> tuple[bool, bool]:
    """Whether the element's text touches its box's left edge, its right edge (within 2 px)."""
    return tuple(locator.evaluate("""e => {
        const range = document.createRange();
        range.selectNodeContents(e);
        const text = range.getBoundingClientRect(), box = e.getBoundingClientRect();
        return [text.left - box.left < 2, box.right - text.right < 2];
    }"""))


def _shot(page, tmp_path, name):
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, f"/tmp/si-public-{name}.png")  # for a human to look at
    assert shot.read_bytes().startswith(PNG_SIGNATURE)


def test_an_arabic_public_page_on_a_phone_is_right_to_left(public_site, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it) for the browser test")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context, page = _open(browser, problems, 390)
            page.goto(f"{public_site}/grenchen/angebote-test/?lang=ar")
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            expect(page.locator("html")).to_have_attribute("lang", "ar")
            assert page.eval_on_selector("main h2", "e => getComputedStyle(e).direction") == "rtl"
            # The German-only offer stays left to right inside the right-to-left page, and says why it is German.
            german = page.locator("main h2[lang=de]")
            expect(german).to_have_text("Elterntreff mit Kinderbetreuung")
            assert german.evaluate("e => getComputedStyle(e).direction") == "ltr"
            expect(page.locator("main .untranslated")).to_have_count(1)
            # Mirrored: the Arabic text stands at the right edge, the German offer at the left; the page's own
            # heading is German, read left to right, but stands on the right like the page's text.
            assert _text_edges(page.locator("main h2").first) == (False, True)
            assert _text_edges(german) == (True, False)
            assert page.eval_on_selector("main h1", "e => getComputedStyle(e).direction") == "ltr"
            assert _text_edges(page.locator("main h1")) == (False, True)
            # Nothing is wider than the phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert context.cookies() == []  # no session cookie for a visitor
            _shot(page, tmp_path, "ar-390")

            page.set_viewport_size({"width": 1280, "height": 900})
            _shot(page, tmp_path, "ar-1280")
            context.close()

            # Without JavaScript the page and its language switch work the same.
            context, page = _open(browser, problems, 390, javascript=False)
            page.goto(f"{public_site}/grenchen/angebote-test/?lang=ar")
            page.click("nav.languages a[lang=ti]")
            expect(page.locator("html")).to_have_attribute("dir", "ltr")
            expect(page.locator("main h2").first).to_have_text("ትምህርቲ ቋንቋ ጀርመን ንጀመርቲ (A1)")
            _shot(page, tmp_path, "ti-390")
            page.click("nav.languages a[lang=de]")
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.locator("main .untranslated")).to_have_count(0)
            page.set_viewport_size({"width": 1280, "height": 900})
            _shot(page, tmp_path, "de-1280")
            assert context.cookies() == []
            context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)

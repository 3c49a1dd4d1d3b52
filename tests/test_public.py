"""Public pages and content languages: no login, no cookie, cacheable, right-to-left, German marked where missing."""

from __future__ import annotations

import re
import types

import pytest
import sqlalchemy as sa
from flask import Blueprint
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core import content_languages as languages
from core import modules, provisioning
from core.access import public
from core.db import db
from core.plugins import Manifest, PluginError
from core.public import public_page
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.public_plugin import ITEMS
from tests.public_plugin import plugin as public_plugin

PAGE = "/grenchen/angebote-test/"
OFFERS = [
    {"title": {"de": "Deutschkurs A1", "ar": "دورة اللغة الألمانية", "ti": "ትምህርቲ ጀርመንኛ"},
     "text": {"de": "Montag, 18 Uhr", "ar": "الاثنين، الساعة 6 مساءً"}},
    {"title": {"de": "Elterntreff"}, "text": {"de": "Jeden Freitag im Gemeindehaus"}},
]


@pytest.fixture
def site(app, database_url):
    """An app with the test module; Grenchen offers it in ar, ti, en, fr; Balsthal has it entitled only."""
    public_app = make_app(plugins=[public_plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with public_app.app_context():
        make_tenant("kanton", kind="canton")
        grenchen = make_tenant("grenchen", communes=[2546])
        balsthal = make_tenant("balsthal", communes=[2422])
        for tenant in (grenchen, balsthal):
            modules.entitle(tenant, "test_public")
        modules.activate(grenchen, "test_public")
        languages.set_offered(grenchen, ["ar", "ti", "en", "fr"])
        provisioning.set_setting(grenchen, ITEMS, OFFERS)
        db.session.commit()
        yield types.SimpleNamespace(app=public_app, client=public_app.test_client(), grenchen=grenchen,
                                    balsthal=balsthal)
        db.session.rollback()
        db.session.remove()
    clear_database(public_app)


def html_tag(page) -> str:
    return re.search(r"<html[^>]*>", page.text).group(0)


# -- the page ------------------------------------------------------------------------------------


def test_a_public_page_needs_no_login_and_no_script(site):
    page = site.client.get(PAGE)
    assert page.status_code == 200
    assert "Deutschkurs A1" in page.text and "Elterntreff" in page.text
    assert html_tag(page) == '<html lang="de" dir="ltr">'
    assert "<script" not in page.text and "<form" not in page.text  # works without JavaScript, nothing to post
    assert "Grenchen" in page.text  # the tenant's name
    assert site.client.post(PAGE).status_code == 405


def test_404_where_the_module_is_not_active_and_for_unknown_or_archived_tenants(site):
    assert site.client.get("/balsthal/angebote-test/").status_code == 404  # entitled, not active
    assert site.client.get("/kanton/angebote-test/").status_code == 404
    assert site.client.get("/nowhere/angebote-test/").status_code == 404
    modules.suspend(site.grenchen, "test_public")
    db.session.commit()
    assert site.client.get(PAGE).status_code == 404
    modules.activate(site.grenchen, "test_public")
    provisioning.archive_tenant(site.balsthal)
    db.session.commit()
    assert site.client.get(PAGE).status_code == 200
    assert site.client.get("/balsthal/angebote-test/").status_code == 404


def test_no_cookie_for_anonymous_visitors_nor_for_logged_in_users(site):
    for client in (site.client, site.app.test_client()):
        page = client.get(PAGE + "?lang=ar")
        assert "Set-Cookie" not in page.headers
        assert "Cookie" not in page.headers.get("Vary", "")
        assert client.get_cookie("session") is None
    # A logged-in user's session is neither refreshed nor dropped there: it still works afterwards.
    staff = site.app.test_client()
    login_as(staff, (site.grenchen, "integration_officer"))
    page = staff.get(PAGE)
    assert "Set-Cookie" not in page.headers and "Cookie" not in page.headers.get("Vary", "")
    assert staff.get("/grenchen/angebote-test/neu").status_code == 200
    # A 404 on a public address sets none either.
    assert "Set-Cookie" not in site.client.get("/balsthal/angebote-test/").headers


def test_the_staff_menu_is_absent_even_for_a_logged_in_user(site):
    staff = site.app.test_client()
    login_as(staff, (site.grenchen, "integration_officer"), name="Greta Gerber")
    assert "Offers (staff)" in staff.get("/grenchen/angebote-test/neu").text  # the staff page has the menu
    page = staff.get(PAGE)
    assert page.status_code == 200
    for staff_only in ("Offers (staff)", "Greta Gerber", "Abmelden", "Anmelden", "csrf_token", "/auth/"):
        assert staff_only not in page.text


def test_public_pages_are_cacheable_with_an_etag(site):
    page = site.client.get(PAGE + "?lang=fr")
    assert page.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert page.headers["Content-Language"] == "fr"
    assert "Accept-Language" not in page.headers.get("Vary", "")  # the URL alone decides
    again = site.client.get(PAGE + "?lang=fr", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    site.app.config["PUBLIC_CACHE_SECONDS"] = 60
    try:
        assert "max-age=60" in site.client.get(PAGE).headers["Cache-Control"]
    finally:
        site.app.config["PUBLIC_CACHE_SECONDS"] = 300
    assert "public" not in site.client.get("/balsthal/angebote-test/").headers.get("Cache-Control", "")


# -- languages -------------------------------------------------------------------------------------


def test_arabic_is_right_to_left_and_german_blocks_keep_their_direction(site):
    page = site.client.get(PAGE + "?lang=ar")
    assert html_tag(page) == '<html lang="ar" dir="rtl">'
    assert page.headers["Content-Language"] == "ar"
    assert "Accept-Language" in page.headers["Vary"]  # the page's own words come from the browser
    assert "<h2>دورة اللغة الألمانية</h2>" in page.text
    assert '<p class="text">الاثنين، الساعة 6 مساءً</p>' in page.text
    # The second offer is German only: shown in German, left to right, and marked.
    assert '<h2 lang="de" dir="ltr">Elterntreff</h2>' in page.text
    assert page.text.count("Deutsch – noch nicht übersetzt") == 1
    assert '<h1 lang="de" dir="ltr" data-ui>Integrationsangebote</h1>' in page.text  # the page's own words are German
    assert '<a href="/grenchen/angebote-test/?lang=ti" hreflang="ti" lang="ti" dir="ltr">ትግርኛ</a>' in page.text
    assert 'aria-current="true">العربية</a>' in page.text


def test_a_missing_translation_shows_german_marked_as_such(site):
    page = site.client.get(PAGE + "?lang=ti")
    assert html_tag(page) == '<html lang="ti" dir="ltr">'
    assert "<h2>ትምህርቲ ጀርመንኛ</h2>" in page.text
    assert '<h2 lang="de">Elterntreff</h2>' in page.text  # same direction: lang only
    # One note per offer: on the German title, or on the German text under a translated title.
    assert page.text.count("noch nicht übersetzt") == 2
    assert re.search(r'<p class="text" lang="de">Montag, 18 Uhr</p>\s*<p class="untranslated" lang="de">', page.text)
    assert re.search(r'Jeden Freitag im Gemeindehaus</p>\s*</li>', page.text)
    english = site.client.get(PAGE + "?lang=en")
    assert "Deutsch – not yet translated" in english.text


def test_the_page_words_follow_a_ui_language_or_the_browser(site):
    french = site.client.get(PAGE + "?lang=fr", headers={"Accept-Language": "it"})
    assert "Deutsch – pas encore traduit" in french.text  # fr is a UI language: the URL decides
    tigrinya = site.client.get(PAGE + "?lang=ti", headers={"Accept-Language": "ti, it;q=0.5"})
    assert "Deutsch – non ancora tradotto" in tigrinya.text


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("?lang=uk", None, "de"),  # a platform language Grenchen does not offer
        ("?lang=uk", "ar-SY,ar;q=0.9", "ar"),
        ("", "ti-ER, en;q=0.5", "ti"),
        ("", "es", "de"),
        ("?lang=xx", None, "de"),
        ("?lang=%3Cscript%3E", None, "de"),
        ("?lang=", "fr-CH", "fr"),
    ],
)
def test_a_language_the_tenant_does_not_offer_falls_back(site, query, accept, expected):
    page = site.client.get(PAGE + query, headers={"Accept-Language": accept} if accept else {})
    assert page.status_code == 200
    assert f'<html lang="{expected}"' in page.text
    assert "Accept-Language" in page.headers["Vary"]
    assert "<script>" not in page.text


def test_a_tenant_with_german_only_shows_no_language_switch(site):
    languages.set_offered(site.grenchen, [])
    db.session.commit()
    page = site.client.get(PAGE + "?lang=ar")
    assert html_tag(page) == '<html lang="de" dir="ltr">'
    assert 'class="languages"' not in page.text and "noch nicht übersetzt" not in page.text


# -- staff enter translations ----------------------------------------------------------------------


def csrf(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_staff_enter_a_text_per_content_language_german_required(site):
    staff = site.app.test_client()
    login_as(staff, (site.grenchen, "integration_officer"))
    form = staff.get("/grenchen/angebote-test/neu")
    for code in ("de", "ar", "ti", "en", "fr"):
        assert f'name="title-{code}"' in form.text and f'name="text-{code}"' in form.text
    assert '<textarea id="text-ar" name="text-ar" lang="ar" dir="rtl"' in form.text
    assert 'name="title-uk"' not in form.text  # not one of Grenchen's languages
    missing = staff.post("/grenchen/angebote-test/neu",
                         data={"csrf_token": csrf(form), "title-de": "  ", "title-ar": "عنوان"})
    assert missing.status_code == 400
    assert "Der deutsche Text fehlt" in missing.text
    assert 'value="عنوان"' in missing.text  # what was typed is not lost
    saved = staff.post("/grenchen/angebote-test/neu",
                       data={"csrf_token": csrf(form), "title-de": " Computerkurs ", "title-ar": "دورة الحاسوب",
                             "title-en": "", "text-de": "Dienstag", "title-uk": "ignored"})
    assert saved.status_code == 302
    stored = provisioning.get_setting(site.grenchen, ITEMS)[-1]
    assert stored == {"title": {"de": "Computerkurs", "ar": "دورة الحاسوب"}, "text": {"de": "Dienstag"}}
    assert "<h2>دورة الحاسوب</h2>" in site.client.get(PAGE + "?lang=ar").text


def test_the_field_keeps_texts_of_languages_no_longer_offered(site):
    from werkzeug.datastructures import MultiDict

    from tests.public_plugin import OfferForm

    with site.app.test_request_context(PAGE):
        from flask import g

        g.tenant = site.grenchen
        form = OfferForm(MultiDict({"title-de": "Kurs", "title-ar": ""}), meta={"csrf": False},
                         data={"title": {"de": "Alt", "ar": "قديم", "uk": "Курс"}})
        assert form.validate() is False  # the text field lacks German
        assert form.title.data == {"de": "Kurs", "uk": "Курс"}  # ar emptied on purpose; uk kept


# -- the tenant's content languages ---------------------------------------------------------------------


def test_the_tenant_admin_chooses_the_content_languages(site):
    admin = site.app.test_client()
    login_as(admin, (site.grenchen, "tenant_admin"))
    page = admin.get("/grenchen/inhaltssprachen")
    assert page.status_code == 200
    assert '<span lang="ti" dir="ltr">ትግርኛ</span> <span class="muted">(Tigrinya)</span>' in page.text
    assert '<span lang="fa" dir="rtl">فارسی</span> <span class="muted">(Persisch)</span>' in page.text
    assert re.search(r'value="ar" checked', page.text) and not re.search(r'value="uk" checked', page.text)
    assert 'href="/grenchen/inhaltssprachen"' in admin.get("/grenchen/einstellungen").text  # linked from the settings
    saved = admin.post("/grenchen/inhaltssprachen",
                       data={"csrf_token": csrf(page), "languages": ["uk", "ta", "ar"]})
    assert saved.status_code == 302
    assert languages.offered(site.grenchen) == ["de", "ar", "ta", "uk"]
    refused = admin.post("/grenchen/inhaltssprachen", data={"csrf_token": csrf(page), "languages": ["ar", "xx"]})
    assert refused.status_code == 200 and "xx" in refused.text and "error" in refused.text
    assert languages.offered(site.grenchen) == ["de", "ar", "ta", "uk"]


def test_only_administrators_choose_content_languages(site):
    officer = site.app.test_client()
    login_as(officer, (site.grenchen, "integration_officer"))
    assert officer.get("/grenchen/inhaltssprachen").status_code == 403
    other = site.app.test_client()
    login_as(other, (site.balsthal, "tenant_admin"))
    assert other.get("/grenchen/inhaltssprachen").status_code == 404
    assert other.get("/balsthal/inhaltssprachen?mandant=grenchen").status_code == 404
    canton = site.app.test_client()
    from core.tenancy import get_tenant

    login_as(canton, (get_tenant("kanton"), "canton_admin"))
    page = canton.get("/kanton/inhaltssprachen?mandant=grenchen")
    assert page.status_code == 200 and "Mandant: Grenchen" in page.text
    canton.post("/kanton/inhaltssprachen?mandant=grenchen", data={"csrf_token": csrf(page), "languages": ["so"]})
    assert languages.offered(site.grenchen) == ["de", "so"]


def test_content_languages_know_their_endonyms_and_directions():
    expected = {"ti": "ትግርኛ", "ar": "العربية", "uk": "українська", "tr": "Türkçe", "pt": "português",
                "sq": "shqip", "es": "español", "ta": "தமிழ்", "fa": "فارسی", "en": "English", "de": "Deutsch"}
    assert {code: languages.language(code).endonym for code in expected} == expected
    assert {code for code, lang in languages.LANGUAGES.items() if lang.rtl} == {"ar", "fa", "ps", "ur", "ckb"}
    assert languages.CODES[0] == "de" and len(set(languages.CODES)) == len(languages.CODES)
    assert languages.direction("xx") == "ltr"
    assert languages.normalize(["ar", "xx", "de", "ar"]) == ["de", "ar"]
    with pytest.raises(KeyError):
        languages.language("xx")


def test_unknown_codes_are_refused_and_stored_ones_dropped(site):
    from core.errors import UserError

    with pytest.raises(UserError, match="xx"):
        languages.set_offered(site.grenchen, ["ar", "xx"])
    provisioning.set_setting(site.grenchen, languages.SETTING, ["zz", "ti"])  # e.g. from a tenant file
    assert languages.offered(site.grenchen) == ["de", "ti"]


def test_pick_falls_back_to_german_and_says_so():
    texts = {"de": "Kurs", "ar": "دورة", "ti": ""}
    assert languages.pick(texts, "ar") == ("دورة", "ar", False)
    assert languages.pick(texts, "ti") == ("Kurs", "de", True)
    assert languages.pick(texts, "de") == ("Kurs", "de", False)
    assert languages.pick({"fr": "Cours"}, "ar") == ("Cours", "fr", True)
    assert languages.pick(None, "de") == ("", "de", False)
    assert languages.pick({}, "ar") == ("", "ar", True)


class Base(DeclarativeBase):
    """Metadata of its own: the column type is tested apart from the application's tables."""


class Offer(Base):
    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict] = languages.translated_column()


def test_a_translated_column_stores_cleaned_texts_and_tracks_changes():
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        offer = Offer(title={"de": " Kurs ", "ar": "دورة", "ti": " ", "xx": "?"})
        session.add(offer)
        session.commit()
        session.expire_all()
        assert offer.title == {"de": "Kurs", "ar": "دورة"}
        offer.title["ti"] = "ኮርስ"  # changed in place: tracked
        session.commit()
        session.expire_all()
        assert offer.title["ti"] == "ኮርስ"
        offer.title = {"ar": "دورة"}
        with pytest.raises(sa.exc.StatementError, match="German"):
            session.commit()


# -- declaring public pages -------------------------------------------------------------------------


def _plugin_with(view, methods=("GET",)):
    blueprint = Blueprint("broken_public", __name__)
    blueprint.add_url_rule("/", "page", view, methods=list(methods))
    plugin = types.ModuleType("broken")
    plugin.manifest = Manifest(id="broken", title="Broken", version="1.0", public_blueprint=blueprint)
    return plugin


def test_start_up_refuses_a_public_blueprint_view_that_is_no_public_page(app, database_url):
    with pytest.raises(PluginError, match="not a @public_page"):
        make_app(plugins=[_plugin_with(lambda: "staff")], SQLALCHEMY_DATABASE_URI=database_url)
    with pytest.raises(PluginError, match="GET only"):
        make_app(plugins=[_plugin_with(public_page(lambda: "form"), ("GET", "POST"))],
                 SQLALCHEMY_DATABASE_URI=database_url)


def test_public_pages_may_have_a_prefix_of_their_own_and_stay_closed_where_the_module_is_not_active(app, database_url):
    staff, public_pages = Blueprint("prefixed", __name__), Blueprint("prefixed_public", __name__)
    staff.add_url_rule("/", "index", public(lambda: "staff"))
    public_pages.add_url_rule("/aushang", "notice", public_page(lambda: "notice"))
    plugin = types.ModuleType("prefixed")
    plugin.manifest = Manifest(id="prefixed", title="Prefixed", version="1.0", blueprint=staff,
                               public_blueprint=public_pages, public_url_prefix="")  # right below the tenant
    prefixed_app = make_app(plugins=[plugin], SQLALCHEMY_DATABASE_URI=database_url)
    try:
        with prefixed_app.app_context():
            on, off = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
            for tenant in (on, off):
                modules.entitle(tenant, "prefixed")
            modules.activate(on, "prefixed")
            db.session.commit()
            client = prefixed_app.test_client()
            assert client.get("/grenchen/aushang").text == "notice"
            assert client.get("/grenchen/prefixed/aushang").status_code == 404  # not also at the module's prefix
            assert client.get("/grenchen/prefixed/").text == "staff"  # the staff pages keep theirs
            assert client.get("/balsthal/aushang").status_code == 404  # entitled, not active
            db.session.remove()
    finally:
        clear_database(prefixed_app)

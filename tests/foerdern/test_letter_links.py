"""Welcome letters point to the public offers page in their language, by a QR code and the address (the hook
letter_links, which Fördern implements and Informieren's letters use: neither imports the other)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from core import content_languages, modules
from core.db import db
from core.documents.letter import LetterLink, links_for
from core.tenancy import tenant_scope
from plugins.foerdern import public
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.informieren.test_letters import add_arabic_template, add_person, files_of, pdf_text, run_batch
from tests.test_documents import decoded_qr_codes

HOST = "integration.so.ch"


@pytest.fixture
def world(app, database_url):
    """Jobs in-process, outside any request: links need SERVER_NAME. Grenchen has both modules, Balsthal Informieren."""
    served = make_app(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None, SERVER_NAME=HOST,
                      PREFERRED_URL_SCHEME="https")
    with served.app_context():
        make_tenant("kanton", kind="canton")
        grenchen = make_tenant("grenchen", communes=[2546], name="Einwohnergemeinde Grenchen")
        balsthal = make_tenant("balsthal", communes=[2422])
        for tenant, module in ((grenchen, "informieren"), (grenchen, "foerdern"), (balsthal, "informieren")):
            modules.entitle(tenant, module)
            modules.activate(tenant, module)
        content_languages.set_offered(grenchen, ["fr", "ar"])
        db.session.commit()
        yield served, grenchen, balsthal
        db.session.rollback()
        db.session.remove()
    clear_database(served)


def letters_pdf(tenant) -> bytes:
    record = run_batch(tenant)
    return next(data for name, data in files_of(tenant, record).items() if name.endswith(".pdf"))


def codes(pdf: bytes) -> list[str]:
    return [code for page in range(len(PdfReader(io.BytesIO(pdf)).pages)) for code, _x in decoded_qr_codes(pdf, page)]


def test_each_welcome_letter_carries_the_offers_page_in_its_language(world):
    _app, grenchen, _balsthal = world
    add_arabic_template(grenchen)
    add_person(grenchen, "Amal", "Haddad", languages=("ar",))
    add_person(grenchen, "Chloé", "Martin", languages=("fr",), street="Marktstrasse")
    add_person(grenchen, "Ana", "Silva", languages=("pt",), street="Kirchstrasse")  # no Portuguese template: German
    pdf = letters_pdf(grenchen)
    assert sorted(codes(pdf)) == [f"https://{HOST}/grenchen/angebote?lang={code}" for code in ("ar", "de", "fr")]
    assert f"https://{HOST}/grenchen/angebote?lang=fr" in pdf_text(pdf)  # the address, printed to be typed
    assert "Offres d’intégration près de chez vous" in pdf_text(pdf)  # the label in the letter's language


def test_without_foerdern_the_letter_has_no_code(world):
    _app, grenchen, balsthal = world
    add_person(balsthal, "Ana", "Silva", languages=("de",))
    assert codes(letters_pdf(balsthal)) == []
    modules.suspend(grenchen, "foerdern")
    db.session.commit()
    add_person(grenchen, "Amal", "Haddad", languages=("de",))
    assert codes(letters_pdf(grenchen)) == []


def test_the_hook_gives_the_page_in_a_language_the_tenant_offers_else_the_plain_page(world):
    _app, grenchen, balsthal = world
    with tenant_scope(grenchen):
        assert links_for(grenchen, "ar") == (
            LetterLink("Integrationsangebote in Ihrer Nähe", f"https://{HOST}/grenchen/angebote?lang=ar", qr=True),)
        [ukrainian] = links_for(grenchen, "uk")  # a letter in a language the page is not in: the browser chooses
        assert ukrainian.url == f"https://{HOST}/grenchen/angebote"
        assert links_for(grenchen, "en")[0].label == "Integration offers near you"
    with tenant_scope(balsthal):
        assert links_for(balsthal, "de") == ()


def test_without_a_server_name_no_address_is_known_outside_a_request(app, world):
    served, grenchen, _balsthal = world
    served.config["SERVER_NAME"] = None
    try:
        assert public.letter_links(grenchen, "de") == []
        with served.test_request_context("/", base_url="https://integration.grenchen.ch"):  # in a request: its host
            [link] = public.letter_links(grenchen, "fr")
            assert link.url == "https://integration.grenchen.ch/grenchen/angebote?lang=fr"
    finally:
        served.config["SERVER_NAME"] = HOST


def test_the_letter_preview_shows_the_code(world):
    served, grenchen, _balsthal = world
    client = served.test_client()
    login_as(client, (grenchen, "tenant_admin"))
    preview = client.get("/grenchen/informieren/schreiben/vorlagen/fr/vorschau")
    assert preview.status_code == 200, preview.text
    assert codes(preview.data) == [f"https://{HOST}/grenchen/angebote?lang=fr"]

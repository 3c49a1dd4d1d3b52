"""Translations: complete French, Italian and English catalogues, in step with the sources, used by the app.

German (de-CH) is the source language: its strings are the msgids, so it has no catalogue. Each package
carries its own catalogue (core's in core/translations, each plugin's in plugins/<id>/translations),
holding the strings of its own sources; Flask-Babel merges them at run time.
"""

from __future__ import annotations

import functools
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_babel
from markupsafe import escape

from core import i18n, modules
from core.db import db
from tests.conftest import login_as, make_tenant

REPO = Path(__file__).parent.parent
# The packages with a catalogue of their own: core and every plugin of this repository.
PACKAGES = ("core", *sorted(f"plugins/{p.name}" for p in (REPO / "plugins").iterdir()
                            if (p / "__init__.py").exists()))
LANGUAGES = ("fr", "it", "en")
HINT = (
    "Run `make messages`, translate the new entries in <package>/translations/*/LC_MESSAGES/messages.po "
    "(no fuzzy entries) and run `make translations`."
)
# As the Makefile's `messages` target extracts them (which also passes --no-location --sort-output).
EXTRACT = ("-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext")
SOURCES = ("core", "plugins")
# printf-style placeholders as Python's % operator reads them; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
# A gettext call with a literal string, in Python (_, _l, gettext, lazy_gettext) or in a Jinja template (_).
GETTEXT_CALL = re.compile(r"""(?<![\w.])(?:_l?|gettext|lazy_gettext)\(\s*["']""")


def po_path(package: str, language: str) -> Path:
    return REPO / package / "translations" / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def catalogue(package: str, language: str):
    with po_path(package, language).open("rb") as f:
        return read_po(f, locale=language)


def translation(language: str, msgid: str) -> str:
    """The translation of ``msgid`` in whichever package's catalogue holds it."""
    found = [catalogue(package, language).get(msgid) for package in PACKAGES]
    message = next((m for m in found if m is not None and m.string), None)
    assert message is not None, f"{language}: no translation of {msgid!r}. {HINT}"
    assert message.string != msgid, f"{language}: {msgid!r} is not translated"
    return message.string


def placeholders(text: str) -> list[str]:
    return sorted(p for p in PLACEHOLDER.findall(text) if p != "%%")


# -- (a) the catalogues are complete and well formed -------------------------


BOTH = [(package, language) for package in PACKAGES for language in LANGUAGES]


@pytest.mark.parametrize(("package", "language"), BOTH)
def test_every_message_is_translated_and_none_is_fuzzy(package, language):
    catalog = catalogue(package, language)
    messages = [m for m in catalog if m.id]
    assert messages, f"{po_path(package, language)} holds no messages"
    assert str(catalog.locale) == language
    assert not catalog.fuzzy, f"{language}: the catalogue header is marked fuzzy"
    untranslated = [m.id for m in messages if not (m.string if isinstance(m.id, str) else all(m.string))]
    assert not untranslated, f"{language}: untranslated {untranslated}. {HINT}"
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not fuzzy, f"{language}: fuzzy entries {fuzzy}; check the translations and remove the flag"


@pytest.mark.parametrize(("package", "language"), BOTH)
def test_placeholders_match_the_german_original(package, language):
    catalog = catalogue(package, language)
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
    assert not errors, f"{language}: {errors}"
    # Also for entries without the python-format flag: Jinja's gettext always applies %.
    wrong = [
        (m.id, m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and placeholders(m.id) != placeholders(m.string)
    ]
    assert not wrong, f"{language}: placeholders differ from the msgid in {wrong}"


# -- (b) the catalogues hold every string of the sources ---------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Each package's messages, extracted as `make messages` does (but with locations)."""
    folder = tmp_path_factory.mktemp("i18n")
    found = {}
    for number, package in enumerate(PACKAGES):
        pot = folder / f"{number}.pot"
        result = subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", *EXTRACT, "-o", str(pot), package],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
        with pot.open("rb") as f:
            found[package] = read_po(f)
    return found


def test_extraction_covers_the_templates_and_the_python_sources(extracted):
    """babel.cfg maps every source file that calls gettext (a wrong pattern silently extracts nothing)."""
    sources = {path for catalog in extracted.values() for message in catalog for path, _line in message.locations}
    calling = {
        path.relative_to(REPO).as_posix()
        for top in SOURCES
        for pattern in ("**/*.py", "**/*.html")
        for path in (REPO / top).glob(pattern)
        if GETTEXT_CALL.search(path.read_text(encoding="utf-8"))
    }
    assert any(p.endswith(".html") for p in calling) and any(p.startswith("plugins/") for p in calling)
    missing = sorted(calling - sources)
    assert not missing, f"no messages extracted from {missing}: check the patterns in babel.cfg"


@pytest.mark.parametrize(("package", "language"), BOTH)
def test_every_source_string_is_in_the_packages_own_catalogue(extracted, package, language):
    translated = {m.id for m in catalogue(package, language) if m.id and m.string}
    missing = sorted(str(m.id) for m in extracted[package] if m.id and m.id not in translated)
    assert not missing, f"{package} {language}: {len(missing)} missing or untranslated: {missing}. {HINT}"


def test_each_plugin_declares_its_catalogue():
    from core.plugins import discover

    for plugin in discover():
        if plugin.__name__.startswith("plugins."):
            folder = REPO / "plugins" / plugin.__name__.split(".")[1] / "translations"
            assert plugin.manifest.translations == folder, f"{plugin.__name__}: Manifest.translations"


# -- (c) the app speaks the chosen language ----------------------------------


@pytest.fixture(scope="session")
def compiled_catalogues():
    """Compile the .po files into place (.mo files are not in git), so that pytest alone works.

    `make install` compiles them too; here only a changed .mo is rewritten, atomically.
    """
    for package, language in BOTH:
        buffer = io.BytesIO()
        write_mo(buffer, catalogue(package, language), use_fuzzy=False)
        mo = po_path(package, language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != buffer.getvalue():
            partial = mo.with_name(f".{mo.name}.{os.getpid()}")
            partial.write_bytes(buffer.getvalue())
            os.replace(partial, mo)


@pytest.fixture
def speaking_client(app, client, compiled_catalogues):
    """The test client, with Flask-Babel's translations reloaded from the freshly compiled files."""
    get_babel(app).instance.domain_instance.cache.clear()
    return client


def html(text: str) -> str:
    return str(escape(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_chosen_language_is_used(speaking_client, language):
    chosen = speaking_client.get(f"/language/{language}?next=/")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/"

    page = speaking_client.get("/", headers={"Accept-Language": "de-CH,de;q=0.9"})  # the choice wins
    assert page.status_code == 200
    assert f'<html lang="{language}">' in page.text
    for msgid in ("Mandanten", "Noch keine Mandanten eingerichtet."):
        assert html(translation(language, msgid)) in page.text
    assert "Noch keine Mandanten eingerichtet." not in page.text


@pytest.mark.parametrize("accept", [None, "de-CH,de;q=0.9,en;q=0.5", "rm-CH"])
def test_german_by_default(speaking_client, accept):
    page = speaking_client.get("/", headers={"Accept-Language": accept} if accept else {})
    assert '<html lang="de">' in page.text
    assert "<h2>Mandanten</h2>" in page.text and "Noch keine Mandanten eingerichtet." in page.text
    for language in LANGUAGES:
        assert html(translation(language, "Noch keine Mandanten eingerichtet.")) not in page.text


def test_the_browser_language_is_used_when_none_was_chosen(speaking_client):
    page = speaking_client.get("/", headers={"Accept-Language": "fr-CH,fr;q=0.9,de;q=0.8"})
    assert '<html lang="fr">' in page.text
    assert html(translation("fr", "Noch keine Mandanten eingerichtet.")) in page.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_module_titles_and_menus_are_translated(speaking_client, language):
    """Lazy strings (manifests, permissions, menus) and template strings with placeholders."""
    grenchen = make_tenant("grenchen", communes=[2546])
    modules.entitle(grenchen, "informieren")
    modules.activate(grenchen, "informieren")
    db.session.commit()
    login_as(speaking_client, (grenchen, "read_only"))  # the tenant's pages need a signed-in member

    page = speaking_client.get(f"/language/{language}?next=/grenchen/", follow_redirects=True)
    assert page.status_code == 200
    for msgid in ("Informieren", "Fördern", "Übersicht", "Module", "nicht freigegeben"):
        assert html(translation(language, msgid)) in page.text, msgid
    active_since = translation(language, "aktiv seit %(day)s").split("%(day)s")[0]
    assert html(active_since) in page.text
    assert "Informieren" not in page.text and "nicht freigegeben" not in page.text

    start = speaking_client.get("/grenchen/informieren/")
    assert html(translation(language, "Informieren")) in start.text
    description = (
        "Neuzuzügerinnen und Neuzuzüger aus dem Ausland kennen, begrüssen und ihnen die Erstinformation geben."
    )
    assert html(translation(language, description)) in start.text


# -- names of countries and languages (core.i18n), shared by every module -------------------------------------


def test_country_and_language_codes_come_from_babel():
    assert {"PT", "ER", "XK", "CH"} <= i18n.country_codes()
    assert not {"EU", "UN", "ZZ", "001"} & i18n.country_codes()  # groupings are no one's nationality
    assert {"pt", "ti", "sq"} <= i18n.language_codes() and "ckb" not in i18n.language_codes()  # ISO 639-1


def test_names_are_in_the_users_language_and_sorted_by_name(app):
    with app.test_request_context(), force_locale("fr_CH"):
        assert i18n.country_name("DE") == "Allemagne" and i18n.language_name("de") == "allemand"
        assert i18n.language_name("ti", in_language="de") == "Tigrinya"  # a letter's language, not the user's
        names = list(i18n.countries().values())
        assert names == i18n.sorted_by_name(names) and "Allemagne" in names
        assert names.index("Bénin") < names.index("Bermudes")  # the accent counts after the letters
    with app.test_request_context():
        assert i18n.country_name("DE") == "Deutschland" and i18n.language_name("pt") == "Portugiesisch"
        assert i18n.country_name("BFS-8999") == "BFS-8999"  # a code Babel does not know stays as it is
        assert i18n.country_name("") == i18n.language_name(None) == ""

"""Languages: German (de-CH) first, with French, Italian and English catalogues."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pyuca
from babel import Locale, UnknownLocaleError
from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale

# One date format in every language: 20.12.2026 (CLDR's short dates have two-digit years in de_CH,
# fr_CH and it_CH, and its medium ones spell the month in French and Italian).
DATE_FORMAT = "dd.MM.yyyy"
DATETIME_FORMAT = "dd.MM.yyyy, HH:mm"
babel = Babel(date_formats={
    "date": "medium", "datetime": "medium", "time": "medium",
    "date.short": DATE_FORMAT, "date.medium": DATE_FORMAT, "date.long": None, "date.full": None,
    "datetime.short": DATETIME_FORMAT, "datetime.medium": DATETIME_FORMAT, "datetime.long": None,
    "datetime.full": None,
    "time.short": "HH:mm", "time.medium": "HH:mm", "time.long": None, "time.full": None,
})
T = TypeVar("T")

REGION = {"de": "de_CH", "fr": "fr_CH", "it": "it_CH", "en": "en_CH"}
MESSAGE_LANGUAGE = "de"  # the language of the message ids (the catalogues translate from German)
CORE_TRANSLATIONS = Path(__file__).parent / "translations"


def language() -> str:
    """The user's UI language: their choice, else their browser's, else German (public pages: core.public)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    public_page = g.get("public_language")
    if public_page is not None:
        return public_page.ui  # a public page's words follow its URL and the browser, never the session
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def select_locale() -> str:
    return REGION[language()]


def init_app(app, extra_dirs) -> None:
    dirs = [str(CORE_TRANSLATIONS), *(str(d) for d in extra_dirs)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = language
    app.add_template_filter(iso_date, "isodate")


def iso_date(value) -> str:
    """A day kept as ISO text (in JSON: ``2017-06-15``) as the pages show days: 15.06.2017."""
    from datetime import date

    from flask_babel import format_date

    if not value:
        return ""
    try:
        return format_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


# -- names of countries and languages, in the user's language (Babel's CLDR data) ---------------------

# Babel's territories include groupings and pseudo-regions that are no one's nationality.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


def current_locale() -> Locale:
    return get_locale() or Locale.parse(REGION["de"])


@functools.cache
def country_codes() -> frozenset[str]:
    """ISO 3166 alpha-2 codes of the countries."""
    return frozenset(code for code in Locale.parse(REGION["de"]).territories
                     if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


@functools.cache
def language_codes() -> frozenset[str]:
    """ISO 639-1 codes of the languages Babel knows."""
    return frozenset(code for code in Locale.parse(REGION["de"]).languages if len(code) == 2 and code.isalpha())


@functools.cache
def _sorted_names(locale: str, kind: str) -> dict[str, str]:
    names = getattr(Locale.parse(locale), kind)
    codes = country_codes() if kind == "territories" else language_codes()
    return dict(sorted_by_name(((code, names[code]) for code in codes if code in names), name=lambda i: i[1]))


def countries() -> dict[str, str]:
    """Country code -> name in the user's language, sorted by name."""
    return _sorted_names(str(current_locale()), "territories")


def languages() -> dict[str, str]:
    """Language code -> name in the user's language, sorted by name."""
    return _sorted_names(str(current_locale()), "languages")


def ui_languages() -> dict[str, str]:
    """The UI's languages, each by its own name ("Deutsch", "Français"): a choice for whom a mail is written."""
    return {code: language_name(code, in_language=code)[:1].upper() + language_name(code, in_language=code)[1:]
            for code in current_app.config["LANGUAGES"]}


def country_name(code: str | None) -> str:
    return current_locale().territories.get(code, code) if code else ""


def language_name(code: str | None, in_language: str | None = None) -> str:
    """The language's name in the user's language, or in ``in_language`` (a letter's)."""
    if not code:
        return ""
    if in_language is None:
        return current_locale().languages.get(code, code)
    try:
        return Locale.parse(code).get_display_name(in_language) or code
    except (UnknownLocaleError, ValueError):
        return code


# -- sorting names the Swiss way ----------------------------------------------------------------------
#
# The Unicode Collation Algorithm with its default table (pyuca's DUCET), which is what CLDR's German
# (de-CH) collation is: accents count only after the letters ("Bärschwil" before "Breitenbach",
# "Dänemark" before "Dschibuti", "Österreich" next to "Oensingen"), case after accents.  French and
# Italian use the same order, so one collator serves every UI language.

SORT_TEXT_LENGTH = 512  # the stored key of a name (see sort_text): 128 weights, whole for names up to ~40 letters


@functools.cache
def _collator() -> pyuca.Collator:
    return pyuca.Collator()


def sort_key(text: str | None) -> tuple[int, ...]:
    """The collation key of ``text``: compare these instead of the strings."""
    return _collator().sort_key(text or "")


def sorted_by_name(items: Iterable[T], name: Callable[[T], str | None] = lambda item: item, *,
                   reverse: bool = False) -> list[T]:
    """``items`` in the Swiss order of ``name(item)`` (communes, countries, tenants, persons)."""
    return sorted(items, key=lambda item: sort_key(name(item)), reverse=reverse)


def sort_text(*names: str | None) -> str:
    """The collation key as text whose plain (byte) order is the Swiss order, for a database column.

    Each weight is four hex digits, so comparing the texts compares the keys; ``names`` are joined
    as a list shows them ("Müller, Anna").  Cut at ``SORT_TEXT_LENGTH``: only accents and case of
    very long names are lost to the cut.
    """
    key = sort_key(", ".join(name for name in names if name))
    return "".join(f"{weight:04x}" for weight in key)[:SORT_TEXT_LENGTH]

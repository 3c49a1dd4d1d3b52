"""Languages: German (de-CH) first, with French, Italian and English catalogues."""

from __future__ import annotations

import functools
from pathlib import Path

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
    return dict(sorted(((code, names[code]) for code in codes if code in names), key=lambda i: i[1].casefold()))


def countries() -> dict[str, str]:
    """Country code -> name in the user's language, sorted by name."""
    return _sorted_names(str(current_locale()), "territories")


def languages() -> dict[str, str]:
    """Language code -> name in the user's language, sorted by name."""
    return _sorted_names(str(current_locale()), "languages")


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

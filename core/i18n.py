"""Languages: German (de-CH) first, with French, Italian and English catalogues."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel

babel = Babel()

REGION = {"de": "de_CH", "fr": "fr_CH", "it": "it_CH", "en": "en_CH"}
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

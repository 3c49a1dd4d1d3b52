"""Content languages: the languages a tenant's public content is held in, beyond the UI's four.

The UI speaks German, French, Italian and English (``config["LANGUAGES"]``).  Content written for
newcomers (Fördern's offers, say) can be held in many more: the platform knows the languages
below, each with its endonym and text direction from Babel's CLDR data; a tenant chooses the ones
it offers in its setting ``core.content_languages``, German always among them and first.

A translated text is a dict ``{language code: text}`` with German required, stored in a JSON
column (:func:`translated_column`); :func:`pick` chooses the text to show in a language and says
when it fell back to German.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from babel import Locale
from flask_babel import gettext as _
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import mapped_column

from core.errors import UserError

GERMAN = "de"
SETTING = "core.content_languages"

# The UI's languages first, then the languages newcomers to the canton read, by code.  BCP 47 tags:
# ISO 639-1 where it has one, else ISO 639-3 (ckb, Central Kurdish).  Every one is known to Babel.
CODES = (
    "de", "fr", "it", "en",
    "am", "ar", "bo", "bs", "ckb", "es", "fa", "hr", "hu", "ku", "mk", "pl", "ps", "pt", "ro", "ru",
    "so", "sq", "sr", "ta", "th", "ti", "tr", "uk", "ur", "vi", "zh",
)


@dataclass(frozen=True)
class ContentLanguage:
    code: str
    endonym: str  # the language's name in itself: ትግርኛ, العربية
    direction: str  # "ltr" or "rtl"

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"


def _describe(code: str) -> ContentLanguage:
    locale = Locale.parse(code)
    direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    return ContentLanguage(code, locale.display_name, direction)


LANGUAGES: dict[str, ContentLanguage] = {code: _describe(code) for code in CODES}


def language(code: str) -> ContentLanguage:
    """The platform's content language ``code``; KeyError for one it does not know."""
    return LANGUAGES[code]


def direction(code: str) -> str:
    """``rtl`` or ``ltr`` (a code the platform does not know: ``ltr``)."""
    known = LANGUAGES.get(code)
    return known.direction if known else "ltr"


def name_in(code: str, ui_language: str) -> str:
    """The language's name in the UI language (Arabisch, arabe), for staff pages."""
    return Locale.parse(code).get_display_name(ui_language) or code


# -- the tenant's choice -------------------------------------------------------------------


def normalize(codes) -> list[str]:
    """German first, then the known codes among ``codes`` in the platform's order, each once."""
    wanted = set(codes or ()) | {GERMAN}
    return [code for code in CODES if code in wanted]


def offered(tenant) -> list[str]:
    """The content languages ``tenant`` offers (German first); codes it stored that are unknown are dropped."""
    from core import provisioning

    return normalize(provisioning.get_setting(tenant, SETTING))


def set_offered(tenant, codes) -> bool:
    """Store the tenant's content languages (audited through the setting); returns whether they changed."""
    from core import provisioning

    unknown = sorted(set(codes) - set(LANGUAGES))
    if unknown:
        raise UserError(_("Diese Sprachen kennt die Plattform nicht: %(codes)s.", codes=", ".join(unknown)))
    return provisioning.set_setting(tenant, SETTING, normalize(codes))


# -- translated texts ------------------------------------------------------------------------


class Picked(NamedTuple):
    text: str
    language: str  # the language the text is in
    is_fallback: bool  # True when it is not the language asked for


def pick(translations: dict | None, wanted: str) -> Picked:
    """The text in ``wanted``, else the German one marked as a fallback (else any, else empty)."""
    translations = translations or {}
    if translations.get(wanted):
        return Picked(translations[wanted], wanted, False)
    for code in (GERMAN, *translations):
        if translations.get(code):
            return Picked(translations[code], code, True)
    return Picked("", wanted, wanted != GERMAN)


def clean(translations: dict) -> dict[str, str]:
    """Stripped texts of known languages, empty ones dropped; German is required (ValueError)."""
    cleaned = {
        code: text.strip()
        for code, text in (translations or {}).items()
        if code in LANGUAGES and isinstance(text, str) and text.strip()
    }
    if GERMAN not in cleaned:
        raise ValueError("a translated text needs its German version")
    return {code: cleaned[code] for code in CODES if code in cleaned}


class TranslatedText(sa.types.TypeDecorator):
    """A JSON column of ``{language: text}``; stored cleaned, with German required.

    Validate in the form first (:class:`core.translations_field.TranslationsField` does): a
    value without German raises ValueError here, a programming error rather than bad input.
    """

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else clean(value)


def translated_column(**kwargs):
    """``title: Mapped[dict] = translated_column()``: a translated text, changes in place tracked."""
    kwargs.setdefault("nullable", False)
    return mapped_column(MutableDict.as_mutable(TranslatedText()), **kwargs)

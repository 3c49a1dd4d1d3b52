"""The tenant's own invitation texts in the languages Fordern's catalogues do not translate.

Fordern's letter exists in German, French, Italian and English (its gettext catalogues). For the
other languages newcomers read (Tigrinya, Arabic, Ukrainian, Portuguese, …) a commune keeps its own
translation of the invitation, one per content language it offers (``core.content_languages``), in
the setting ``fordern.invitation_texts`` ({language code: text}). The first line of a text is the
letter's subject; placeholders in braces take the interview's details.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import content_languages, provisioning

SETTING = "fordern.invitation_texts"
STANDARD = ("de", "fr", "it", "en")  # the languages Fordern's own texts exist in
PLACEHOLDERS = {
    "name": _l("Name der Person"),
    "datum": _l("Datum des Gesprächs"),
    "zeit": _l("Uhrzeit"),
    "ort": _l("Ort"),
    "dolmetschen": _l("Sprache der Dolmetscherin oder des Dolmetschers (leer ohne)"),
}
MAX_LENGTH = 5000
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def texts(tenant) -> dict[str, str]:
    """{language: text} of the tenant's own translations (languages the platform knows, non-empty)."""
    stored = provisioning.get_setting(tenant, SETTING) or {}
    return {code: text for code, text in stored.items()
            if code in content_languages.LANGUAGES and code not in STANDARD and text.strip()}


def editable_languages(tenant) -> list[str]:
    """The tenant's content languages without a standard text, and any that still has a text of its own."""
    own = texts(tenant)
    return [code for code in content_languages.CODES
            if code not in STANDARD and (code in content_languages.offered(tenant) or code in own)]


def problem(text: str) -> str | None:
    """What is wrong with a text (translated), or None."""
    if len(text) > MAX_LENGTH:
        return _("Höchstens %(max)d Zeichen.", max=MAX_LENGTH)
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        return _("Unbekannte Platzhalter: %(names)s. Möglich sind: %(known)s.",
                 names=", ".join(f"{{{name}}}" for name in unknown),
                 known=", ".join(f"{{{name}}}" for name in PLACEHOLDERS))
    if len([line for line in text.splitlines() if line.strip()]) < 2:
        return _("Bitte in der ersten Zeile den Betreff und darunter den Brief schreiben.")
    return None


def check_setting(value: dict, tenant) -> str | None:
    """The setting's check: every text of a language the platform knows, each without a problem."""
    for code, text in value.items():
        if code not in content_languages.LANGUAGES:
            return _("Diese Sprache kennt die Plattform nicht: %(code)s.", code=code)
        if text.strip() and (found := problem(text)):
            return f"{code}: {found}"
    return None


def fill(text: str, values: dict[str, str]) -> tuple[str, str]:
    """(subject, body) of a text with the placeholders replaced; a text is never a format string."""
    filled = _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text.strip())
    subject, _newline, body = filled.partition("\n")
    return subject.strip(), body.strip()

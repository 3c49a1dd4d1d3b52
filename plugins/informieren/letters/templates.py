"""Welcome-letter templates: one per tenant and language, with checked placeholders; the letter's contact.

A tenant starts with the shipped texts (``texts``) and edits its own copy; a template may use only
the known placeholders and only characters the letters' fonts can print.
"""

from __future__ import annotations

import re
import string

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.documents import fonts as document_fonts
from core.errors import UserError
from core.tenancy import Tenant
from plugins.informieren.letters.texts import DEFAULT_LANGUAGES, DEFAULTS, PLACEHOLDERS
from plugins.informieren.models import LetterTemplate

FALLBACK_LANGUAGE = "de"
CONTACT_SETTING = "informieren.letter_contact"
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


def install_defaults(tenant: Tenant) -> int:
    """Seed the shipped templates (de, fr, it, en) where the tenant has none; idempotent. Returns how many."""
    existing = set(db.session.scalars(sa.select(LetterTemplate.language).where(LetterTemplate.tenant_id == tenant.id)))
    added = 0
    for language in DEFAULT_LANGUAGES:
        if language not in existing:
            subject, body = DEFAULTS[language]
            db.session.add(LetterTemplate(tenant_id=tenant.id, language=language, subject=subject, body=body))
            added += 1
    return added


def templates() -> dict[str, LetterTemplate]:
    """The current tenant's templates by language, German first, then by code."""
    rows = db.session.scalars(sa.select(LetterTemplate)).all()
    return {row.language: row for row in sorted(rows, key=lambda r: (r.language != FALLBACK_LANGUAGE, r.language))}


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the placeholders of ``text`` (German messages); empty when it is fine.

    Only ``{name}`` of a known placeholder is allowed: no attribute or index access
    (``{x.__class__}``, ``{x[0]}``), no conversion, no format spec; ``{{`` and ``}}`` are literal braces.
    """
    try:
        fields = [(name, spec, conversion) for _lit, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None]
    except ValueError:
        return [_("Geschweifte Klammern sind nicht ausgeglichen. Platzhalter stehen in {…}; "
                  "eine Klammer als Text schreiben Sie doppelt: {{ oder }}.")]
    unknown = ["{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
               for name, spec, conversion in fields if name not in PLACEHOLDERS or spec or conversion]
    if not unknown:
        return []
    return [_("Unbekannter Platzhalter: %(placeholders)s. Erlaubt sind: %(allowed)s.",
              placeholders=", ".join(dict.fromkeys(unknown)), allowed=", ".join(f"{{{key}}}" for key in PLACEHOLDERS))]


def unprintable_error(text: str) -> str | None:
    """A German message naming the characters of ``text`` no font of the letters has, or None."""
    missing = document_fonts.unprintable(text)
    if not missing:
        return None
    return _("Diese Zeichen kann das Begrüssungsschreiben nicht drucken, es fehlt eine Schrift dafür: %(chars)s.",
             chars=document_fonts.describe(missing))


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the placeholders of a validated text; never ``str.format`` (no attribute access)."""
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        parts.append(literal)
        if name is not None:
            parts.append(values.get(name, ""))
    return "".join(parts)


def check_language(code: str) -> str:
    """A two-letter ISO 639-1 code Babel knows (lower case), or a UserError in German."""
    code = (code or "").strip().lower()
    if not _ISO_639_1.match(code):
        raise UserError(_("«%(code)s» ist kein zweibuchstabiger Sprachcode nach ISO 639-1 (z. B. pt, ar, ti).",
                          code=code))
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        raise UserError(_("Die Sprache «%(code)s» ist nicht bekannt.", code=code)) from None
    return code


def save_template(language: str, subject: str, body: str, *, new: bool = False) -> LetterTemplate:
    """Create or change the template of ``language`` (validated by the caller's form); audited."""
    row = db.session.get(LetterTemplate, (_tenant_id(), language))
    if new and row is not None:
        raise UserError(_("Für diese Sprache gibt es schon eine Vorlage."))
    if row is None:
        row = LetterTemplate(language=language)
        db.session.add(row)
    row.subject, row.body, row.updated_by = subject, body, audit.current_actor()
    audit.record("informieren.letter_template.add" if new else "informieren.letter_template.update",
                 object_type="letter_template", object_id=language)
    return row


def delete_template(language: str) -> None:
    if language == FALLBACK_LANGUAGE:
        raise UserError(_("Die deutsche Vorlage ist die Rückfallsprache und kann nicht gelöscht werden."))
    row = db.session.get(LetterTemplate, (_tenant_id(), language))
    if row is None:
        raise UserError(_("Für diese Sprache gibt es keine Vorlage."))
    db.session.delete(row)
    audit.record("informieren.letter_template.delete", object_type="letter_template", object_id=language)


def _tenant_id() -> int:
    from core.db import current_scope

    return current_scope().tenant_id

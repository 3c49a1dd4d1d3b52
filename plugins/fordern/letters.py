"""The invitation to the integration interview as a letter: German, and the person's language alongside.

The texts are Fordern's gettext messages (translated in its catalogues); a letter is written in
German and, where the person reads French, Italian or English, once more in that language, both in
one PDF (core's layout). A language without a translation gets the German letter only.
"""

from __future__ import annotations

from babel.dates import format_date, format_time
from flask_babel import force_locale
from flask_babel import gettext as _

from core import audit
from core.clock import ZURICH
from core.documents.letter import Letter, render
from core.documents.text import is_rtl_language
from core.i18n import language_name
from core.people import Person
from plugins.fordern.interview_models import Interview

GERMAN = "de"
TRANSLATED = ("fr", "it", "en")  # the languages Fordern's catalogues translate the letter into


def letter_language(person: Person) -> str:
    """The first language of the person the letter exists in, else German."""
    return next((code for code in person.languages or () if code in (GERMAN, *TRANSLATED)), GERMAN)


def _body(interview: Interview, person: Person, officer: str, tenant_name: str, language: str) -> tuple[str, str]:
    start = interview.starts_at.astimezone(ZURICH)
    paragraphs = [
        _("Guten Tag %(name)s", name=person.full_name),
        _("Wir laden Sie zu einem Integrationsgespräch ein."),
        "\n".join((_("Datum: %(day)s", day=format_date(start.date(), "full", locale=language)),
                   _("Zeit: %(time)s Uhr", time=format_time(start.time(), "HH:mm", locale=language)),
                   _("Ort: %(place)s", place=interview.place))),
    ]
    if interview.interpreter_language:
        paragraphs.append(_("Eine Dolmetscherin oder ein Dolmetscher für %(language)s ist dabei.",
                            language=language_name(interview.interpreter_language, language)))
    paragraphs += [
        _("Im Gespräch sprechen wir darüber, wie es Ihnen geht, was Sie für Ihre Integration schon tun und was Sie "
          "dabei unterstützt. Gemeinsam vereinbaren wir die nächsten Schritte."),
        _("Das Gespräch ist wichtig. Bitte kommen Sie. Wenn Sie an diesem Tag nicht kommen können, melden Sie sich "
          "bitte vorher bei uns."),
        "\n".join((_("Freundliche Grüsse"), officer, tenant_name)),
    ]
    return _("Einladung zum Integrationsgespräch"), "\n\n".join(paragraphs)


def _letter(interview, person, officer, tenant_name, place, language) -> Letter:
    with force_locale(language):
        subject, body = _body(interview, person, officer, tenant_name, language)
        issued = format_date(interview.invited_on, "long", locale=language)
    street = " ".join(part for part in (person.street, person.house_number) if part)
    town = " ".join(part for part in (person.postal_code, person.town) if part)
    recipient = tuple(line for line in (person.full_name, street, town) if line)
    return Letter(language=language, rtl=is_rtl_language(language), sender=(tenant_name, officer),
                  recipient=recipient, place_date=f"{place}, {issued}", subject=subject, body=body)


def invitation(interview: Interview, person: Person, officer: str, tenant_name: str, place: str) -> bytes:
    """The PDF: the German letter, then the one in the interview's letter language (if another); audited."""
    languages = [GERMAN] + ([interview.letter_language] if interview.letter_language in TRANSLATED else [])
    audit.record("fordern.interview.letter", object_type="fordern_case", object_id=interview.case_id,
                 detail={"languages": languages})
    return render(_letter(interview, person, officer, tenant_name, place, language) for language in languages)

"""The invitation to the integration interview as a letter: German, and the person's language alongside.

The texts are Fordern's gettext messages (translated in its catalogues); a letter is written in
German and once more in the person's language, both in one PDF (core's layout): French, Italian and
English from the catalogues, any other language from the tenant's own text
(:mod:`plugins.fordern.invitation_texts`). A language without either gets the German letter only.
"""

from __future__ import annotations

from babel.core import UnknownLocaleError
from babel.dates import format_date, format_time
from flask_babel import force_locale
from flask_babel import gettext as _

from core import audit
from core.clock import ZURICH
from core.documents.letter import Letter, render
from core.documents.text import is_rtl_language
from core.i18n import language_name
from core.people import Person
from plugins.fordern import invitation_texts
from plugins.fordern.interview_models import Interview

GERMAN = "de"
TRANSLATED = ("fr", "it", "en")  # the languages Fordern's catalogues translate the letter into


def languages(tenant) -> list[str]:
    """The languages a letter can be written in beside German: the catalogues' and the tenant's own texts'."""
    return [*TRANSLATED, *invitation_texts.texts(tenant)]


def letter_language(person: Person, tenant) -> str:
    """The first language of the person the letter exists in, else German."""
    return next((code for code in person.languages or () if code in (GERMAN, *languages(tenant))), GERMAN)


def _when(interview: Interview, language: str) -> tuple[str, str]:
    """The interview's day and time in ``language`` (in German where Babel does not know its dates)."""
    start = interview.starts_at.astimezone(ZURICH)
    try:
        return format_date(start.date(), "full", locale=language), format_time(start.time(), "HH:mm", locale=language)
    except (UnknownLocaleError, ValueError):
        return format_date(start.date(), "full", locale=GERMAN), format_time(start.time(), "HH:mm", locale=GERMAN)


def _body(interview: Interview, person: Person, officer: str, tenant_name: str, language: str) -> tuple[str, str]:
    day, time = _when(interview, language)
    paragraphs = [
        _("Guten Tag %(name)s", name=person.full_name),
        _("Wir laden Sie zu einem Integrationsgespräch ein."),
        "\n".join((_("Datum: %(day)s", day=day), _("Zeit: %(time)s Uhr", time=time),
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


def _own_body(text: str, interview: Interview, person: Person, officer: str, tenant_name: str,
              language: str) -> tuple[str, str]:
    """The tenant's own text in ``language``, its placeholders filled, signed like the standard letter."""
    day, time = _when(interview, language)
    interpreter = interview.interpreter_language
    subject, body = invitation_texts.fill(text, {
        "name": person.full_name, "datum": day, "zeit": time, "ort": interview.place,
        "dolmetschen": language_name(interpreter, language) if interpreter else ""})
    return subject, "\n\n".join((body, "\n".join((officer, tenant_name))))


def _letter(interview, person, officer, tenant_name, place, language, own_text=None) -> Letter:
    with force_locale(language if language in (GERMAN, *TRANSLATED) else GERMAN):
        if own_text:
            subject, body = _own_body(own_text, interview, person, officer, tenant_name, language)
        else:
            subject, body = _body(interview, person, officer, tenant_name, language)
    issued = _issued(interview, language)
    street = " ".join(part for part in (person.street, person.house_number) if part)
    town = " ".join(part for part in (person.postal_code, person.town) if part)
    recipient = tuple(line for line in (person.full_name, street, town) if line)
    return Letter(language=language, rtl=is_rtl_language(language), sender=(tenant_name, officer),
                  recipient=recipient, place_date=f"{place}, {issued}", subject=subject, body=body)


def _issued(interview: Interview, language: str) -> str:
    try:
        return format_date(interview.invited_on, "long", locale=language)
    except (UnknownLocaleError, ValueError):
        return format_date(interview.invited_on, "long", locale=GERMAN)


def invitation(interview: Interview, person: Person, officer: str, tenant, place: str) -> bytes:
    """The PDF: the German letter, then the one in the interview's letter language (if another); audited.

    A language whose own text the tenant has since removed gets the German letter only.
    """
    own = invitation_texts.texts(tenant)
    second = interview.letter_language
    letters = [_letter(interview, person, officer, tenant.name, place, GERMAN)]
    if second in TRANSLATED or second in own:
        letters.append(_letter(interview, person, officer, tenant.name, place, second, own.get(second)))
    audit.record("fordern.interview.letter", object_type="fordern_case", object_id=interview.case_id,
                 detail={"languages": [letter.language for letter in letters]})
    return render(letters)

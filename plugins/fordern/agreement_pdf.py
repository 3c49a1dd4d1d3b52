"""The integration agreement or recommendation as a PDF: German, binding; then a translation aid.

Drawn with core's documents (``core.documents.layout``: the canton's letterhead, the person's address
in the envelope's window, text that continues on further pages). The translation aid follows on a page
of its own in the person's language: where the platform speaks it (French, Italian, English) its
standard texts are translated; in any language the canton may add its own translation of the content.
Only the German text binds, and the aid says so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import content_languages
from core.documents import layout, text
from plugins.fordern.escalation_models import AGREEMENT, Review, ReviewDeadline

TITLES = {AGREEMENT: _l("Integrationsvereinbarung"), "recommendation": _l("Integrationsempfehlung")}
AID_TITLE = _l("Übersetzungshilfe")
AID_NOTE = _l("Diese Übersetzung hilft beim Verstehen. Verbindlich ist nur der deutsche Text.")
AID_TEXTS = {
    AGREEMENT: _l("Mit dieser Vereinbarung verpflichten Sie sich, an den genannten Massnahmen teilzunehmen und "
                  "die Ziele bis zu den genannten Fristen zu erreichen. Halten Sie die Vereinbarung ohne "
                  "wichtigen Grund nicht ein, kann dies bei Entscheiden über Ihren Aufenthalt berücksichtigt "
                  "werden."),
    "recommendation": _l("Der Kanton empfiehlt Ihnen, an den genannten Massnahmen teilzunehmen und die Ziele "
                         "bis zu den genannten Fristen zu erreichen. Ihre Gemeinde unterstützt Sie dabei."),
}
HEADINGS = {"goals": _l("Ziele"), "measures": _l("Massnahmen"), "deadlines": _l("Fristen"),
            "consequences": _l("Konsequenzen"), "signatures": _l("Unterschriften")}
CANTON_SENDER = ("Kanton Solothurn", "Amt für soziale Sicherheit", "Fachstelle Integration")


@dataclass(frozen=True)
class Parties:
    """Who the document is about and between, as the snapshot and the canton's tenant say."""

    name: str
    born: str  # 14.03.1985
    address: tuple[str, ...]
    nationality: str
    commune: str
    basis: str  # the legal basis' label


def has_standard_aid(language: str) -> bool:
    """True where the platform's own texts exist in ``language`` (its UI languages but German)."""
    return language in current_app.config["LANGUAGES"] and language != "de"


def render(review: Review, deadlines: list[ReviewDeadline], parties: Parties, number: str, on: date) -> bytes:
    """The document as one PDF: the German text, then the translation aid where a language is set."""
    buffer = io.BytesIO()
    canvas = layout.new_canvas(buffer)
    with force_locale("de"):
        title = str(TITLES[review.kind])
        canvas.setTitle(f"{title} {number}")
        _german(layout.Page(canvas), review, deadlines, parties, number, on, title)
    canvas.showPage()
    if review.aid_language:
        _aid(canvas, review, deadlines)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _german(page: layout.Page, review: Review, deadlines, parties: Parties, number: str, on: date, title: str):
    layout.letterhead(page, CANTON_SENDER)
    layout.address_block(page, (parties.name, *parties.address))
    page.at(layout.CONTENT_TOP).block(f"{review.place or 'Solothurn'}, {on.strftime('%d.%m.%Y')}")
    page.y -= 2 * layout.LEADING
    page.block(f"{title} {number}", size=12, bold=True, leading=16)
    page.y -= layout.LEADING / 2
    between = _("zwischen %(name)s (geboren %(born)s, %(nationality)s), der Gemeinde %(commune)s und dem Kanton "
                "Solothurn", name=parties.name, born=parties.born, nationality=parties.nationality,
                commune=parties.commune) if review.kind == AGREEMENT else _(
        "für %(name)s (geboren %(born)s, %(nationality)s), auf Antrag der Gemeinde %(commune)s",
        name=parties.name, born=parties.born, nationality=parties.nationality, commune=parties.commune)
    page.paragraphs(between)
    page.paragraphs(_("Rechtsgrundlage: %(basis)s", basis=parties.basis))
    _section(page, HEADINGS["goals"], review.goals)
    _section(page, HEADINGS["measures"], review.measures)
    _section(page, HEADINGS["deadlines"], "\n".join(f"{d.due_on.strftime('%d.%m.%Y')}: {d.label}" for d in deadlines))
    if review.consequences:
        _section(page, HEADINGS["consequences"], review.consequences)
    _signatures(page, review, parties, f"{title} {number}")


def _section(page: layout.Page, heading, body: str) -> None:
    page.y -= layout.LEADING / 2
    page.block(str(heading), bold=True)
    page.paragraphs(body or "–")


def _signatures(page: layout.Page, review: Review, parties: Parties, continued: str) -> None:
    """The signature lines, kept together on one page with their heading (a new page names the document)."""
    signers = [(_("Kanton Solothurn"), review.canton_signatory)]
    if review.kind == AGREEMENT:
        signers = [(parties.name, ""), (_("Gemeinde %(commune)s", commune=parties.commune), review.commune_signatory),
                   *signers]
    needed = layout.LEADING * (2 + 4 * len(signers))
    if page.y - needed < layout.BOTTOM:
        page.canvas.showPage()
        page.at(layout.CONTINUATION_TOP).block(continued, size=9)
        page.y -= layout.LEADING
    else:
        page.y -= layout.LEADING / 2
    page.block(str(HEADINGS["signatures"]), bold=True)
    for who, name in signers:
        page.y -= 2 * layout.LEADING
        page.block(_("Ort, Datum") + " ______________________   " + _("Unterschrift") + " ______________________")
        page.block(f"{who}{': ' + name if name else ''}", size=9)


def _aid(canvas, review: Review, deadlines) -> None:
    """The translation aid: the standard texts in the person's language where the platform has them, and the
    canton's own translation; the dates of the deadlines as they are."""
    language = review.aid_language
    page = layout.Page(canvas, text.is_rtl_language(language))
    page.at(layout.CONTINUATION_TOP)
    endonym = content_languages.LANGUAGES[language].endonym if language in content_languages.LANGUAGES else language
    if has_standard_aid(language):
        with force_locale(language):
            page.block(f"{AID_TITLE} – {TITLES[review.kind]} ({endonym})", size=12, bold=True, leading=16)
            page.paragraphs(str(AID_NOTE))
            page.paragraphs(str(AID_TEXTS[review.kind]))
            heading = str(HEADINGS["deadlines"])
    else:
        with force_locale("de"):
            page.block(f"{AID_TITLE} – {TITLES[review.kind]} ({endonym})", size=12, bold=True, leading=16)
            heading = None  # no heading in a language the platform does not speak: the dates speak for themselves
    if review.aid_text:
        page.y -= layout.LEADING / 2
        page.paragraphs(review.aid_text)
    if deadlines:
        page.y -= layout.LEADING / 2
        if heading:
            page.block(heading, bold=True)
        page.paragraphs("\n".join(d.due_on.strftime("%d.%m.%Y") for d in deadlines))

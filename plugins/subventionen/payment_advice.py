"""The payment advice (Zahlungsavis): one letter per tenant telling what the canton pays, for which claims, when.

Drawn with core's documents: the canton's letterhead (``sender``), the tenant's address in the
envelope's window, then a table of the tenant's claims in this run (number, year, amount), the total,
the execution date and the account credited. The texts and dates follow the tenant's language where
the platform speaks it (German otherwise); amounts are in the one Swiss form of
:func:`core.money.format_chf` in every language.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from core.documents import layout
from core.i18n import REGION
from core.money import format_chf
from plugins.subventionen.transfers import ZURICH, Creditor, PaymentRun, Transfer, iban_groups

# The table's columns: where each starts (from the left margin) and how wide it is.
NUMBER_X, YEAR_X, AMOUNT_X = 0, 70 * layout.MM, 95 * layout.MM
NUMBER_WIDTH, YEAR_WIDTH, AMOUNT_WIDTH = 68 * layout.MM, 23 * layout.MM, layout.TEXT_WIDTH - 95 * layout.MM
LABEL_WIDTH = 45 * layout.MM
RULE_GAP = 4.5  # points between a table line's baseline and the rule under it, and again above the next line


def render_all(run: PaymentRun, sender: Sequence[str], place: str) -> dict[Creditor, bytes]:
    """One advice per tenant of ``run`` (a PDF each), in the order of the run."""
    return {creditor: render(run, creditor, sender, place) for creditor in run.by_creditor()}


def render(run: PaymentRun, creditor: Creditor, sender: Sequence[str], place: str) -> bytes:
    """The advice to ``creditor`` for its transfers in ``run``; ``sender``: the letterhead, first line in bold."""
    creditor = creditor.compact()  # as the run holds it
    transfers = run.by_creditor().get(creditor)
    if not transfers:
        raise ValueError(f"{creditor.name} is paid nothing in run {run.message_id}")
    buffer = io.BytesIO()
    canvas = layout.new_canvas(buffer)
    with force_locale(_locale(creditor.language)):
        canvas.setTitle(_("Zahlungsavis für %(tenant)s", tenant=creditor.name))
        page = layout.Page(canvas)
        layout.letterhead(page, tuple(sender))
        layout.address_block(page, creditor.address_lines())
        page.at(layout.CONTENT_TOP).block(f"{place}, {format_date(run.created_at.astimezone(ZURICH).date(), 'long')}")
        page.y -= 2 * layout.LEADING
        page.block(_subject(transfers), size=12, bold=True, leading=16)
        page.y -= layout.LEADING
        page.paragraphs(_("%(payer)s überweist Ihnen aus dem Integrationskredit die folgenden Beiträge:",
                          payer=run.debtor.name))
        _table(page, transfers)
        _details(page, run, creditor)
        page.paragraphs(_("Freundliche Grüsse") + "\n\n" + "\n".join(sender[:2]))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _locale(language: str) -> str:
    return REGION[language] if language in current_app.config["LANGUAGES"] else REGION["de"]


def _subject(transfers: list[Transfer]) -> str:
    years = ", ".join(str(year) for year in sorted({transfer.year for transfer in transfers}))
    return _("Zahlungsavis Integrationskredit %(years)s", years=years)


def _table(page: layout.Page, transfers: list[Transfer]) -> None:
    """Claim number, year and amount per line; a rule and the total under them."""
    page.y -= RULE_GAP
    _header(page)
    for transfer in transfers:
        if page.y < layout.BOTTOM:  # the table goes on on the next page, under its headers again
            _room(page)
            _header(page)
        _row(page, (transfer.claim_number, str(transfer.year), format_chf(transfer.amount)))
    _rule(page)
    _row(page, (_("Total"), "", format_chf(sum(t.amount for t in transfers))), bold=True)
    page.y -= layout.LEADING


def _header(page: layout.Page) -> None:
    _row(page, (_("Abrechnung"), _("Jahr"), _("Betrag")), bold=True)
    _rule(page)


def _room(page: layout.Page) -> None:
    """A new page where this one is full: before a line drawn in columns, which must not split."""
    if page.y < layout.BOTTOM:
        page.canvas.showPage()
        page.at(layout.CONTINUATION_TOP)


def _row(page: layout.Page, cells: tuple[str, str, str], bold: bool = False) -> None:
    _room(page)
    number, year, amount = cells
    page.line(number, layout.LEFT + NUMBER_X, NUMBER_WIDTH, bold=bold)
    page.line(year, layout.LEFT + YEAR_X, YEAR_WIDTH, bold=bold)
    page.line(amount, layout.LEFT + AMOUNT_X, AMOUNT_WIDTH, bold=bold, align_right=True)
    page.y -= layout.LEADING


def _rule(page: layout.Page) -> None:
    y = page.y + layout.LEADING - RULE_GAP  # below the descenders of the line drawn last
    page.canvas.setLineWidth(0.5)
    page.canvas.line(layout.LEFT, y, layout.LEFT + layout.TEXT_WIDTH, y)
    page.y -= RULE_GAP


def _details(page: layout.Page, run: PaymentRun, creditor: Creditor) -> None:
    """Label and value: when it is paid, to which account, from whom."""
    details = ((_("Ausführungsdatum"), format_date(run.execution_date, "long")),
               (_("Gutschrift auf IBAN"), iban_groups(creditor.iban)),
               (_("Auftraggeber"), run.debtor.name))
    for label, value in details:
        _room(page)
        top = page.y
        page.block(label, layout.LEFT, LABEL_WIDTH, bold=True)
        page.y = top
        page.block(value, layout.LEFT + LABEL_WIDTH, layout.TEXT_WIDTH - LABEL_WIDTH)
    page.y -= layout.LEADING

"""The payment run as a spreadsheet (XLSX) for the canton's finance staff: one row per payment and the total.

Amounts are number cells (francs, written exactly from Rappen as a decimal) in a CHF format, dates
are date cells, so the sheet sums and sorts; the headers follow the user's language. Text from tenants
passes core's formula-injection guard.
"""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Border, Font, Side
from openpyxl.utils import get_column_letter

from core.spreadsheet import text_cells
from plugins.subventionen.transfers import PaymentRun, Transfer, iban_groups

CHF_FORMAT = '"CHF" #,##0.00'
DATE_FORMAT = "DD.MM.YYYY"
AMOUNT_COLUMN, DATE_COLUMN = 6, 7  # 1-based, as in :func:`_headers`
MIN_WIDTH, MAX_WIDTH = 10, 60


def render(run: PaymentRun) -> bytes:
    """The XLSX file of ``run``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Zahlungen")
    workbook.properties.title = _("Zahlungslauf %(number)s", number=run.message_id)
    workbook.properties.creator = "start.integration"
    sheet.append(_headers())
    for transfer in run.transfers:
        sheet.append(_row(run, transfer))
    last = sheet.max_row
    sheet.append([_("Total"), None, None, None, None, francs(run.total)])
    sheet.append([])
    sheet.append([_("Belastungskonto"), f"{run.debtor.name}, {iban_groups(run.debtor.iban)}"])
    sheet.append([_("Zahlungsdatei"), run.message_id])
    _style(sheet, last)
    text_cells(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def francs(rappen: int) -> Decimal:
    """The amount in francs, exactly (``Decimal('1234.50')``): a number cell without a float's detour."""
    return Decimal(rappen).scaleb(-2)


def _headers() -> list[str]:
    return [_("Empfänger"), _("Ort"), _("Abrechnung"), _("Verwendungszweck"), _("IBAN"), _("Betrag"),
            _("Ausführungsdatum")]


def _row(run: PaymentRun, transfer: Transfer) -> list:
    creditor = transfer.creditor
    return [creditor.name, creditor.town or "", transfer.claim_number, transfer.purpose,
            iban_groups(creditor.iban), francs(transfer.amount), run.execution_date]


def _style(sheet, last_payment_row: int) -> None:
    """Bold frozen headers, number and date formats, a ruled total, a filter, widths from the contents."""
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(DATE_COLUMN)}{last_payment_row}"
    for row in range(2, last_payment_row + 2):
        sheet.cell(row, AMOUNT_COLUMN).number_format = CHF_FORMAT
        sheet.cell(row, DATE_COLUMN).number_format = DATE_FORMAT
    total_row = last_payment_row + 1
    for column in range(1, DATE_COLUMN + 1):
        cell = sheet.cell(total_row, column)
        cell.font, cell.border = bold, Border(top=Side(style="thin"))
    _widths(sheet, last_payment_row)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _widths(sheet, last_payment_row: int) -> None:
    for column in range(1, DATE_COLUMN + 1):
        cells = [sheet.cell(row, column) for row in range(1, last_payment_row + 2)]
        longest = max(_shown_length(cell) for cell in cells)
        sheet.column_dimensions[get_column_letter(column)].width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)


def _shown_length(cell) -> int:
    """About as many characters as the cell shows: a date as 10, an amount with "CHF" and separators."""
    if cell.column == DATE_COLUMN and cell.row > 1:
        return 10
    if cell.column == AMOUNT_COLUMN and isinstance(cell.value, Decimal):
        digits = len(str(int(cell.value)))
        return 7 + digits + digits // 3
    return len(str(cell.value or ""))

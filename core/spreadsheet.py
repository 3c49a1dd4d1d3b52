"""Cells for spreadsheets (XLSX and CSV): text a spreadsheet would run as a formula is written as text.

A commune's answer or an imported field must not become a live formula in the canton's Excel
(OWASP, "CSV injection"). Numbers and dates are not text and stay as they are.
"""

from __future__ import annotations

from datetime import date, datetime

from core.clock import ZURICH

# What Excel, LibreOffice and Google Sheets read as the start of a formula (or a DDE call).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_value(value):
    """For CSV, which has no types: a leading apostrophe, which spreadsheets read as "this is text"."""
    return "'" + value if formula_like(value) else value


def csv_row(values) -> list:
    return [csv_value(value) for value in values]


def text_cells(sheet) -> None:
    """For an openpyxl worksheet: formula-like text keeps its value, typed as a string (never a formula)
    and marked with Excel's quote prefix, so that editing the cell does not turn it into one either."""
    for row in sheet.iter_rows():
        for cell in row:
            if formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


# Dates are dates in a spreadsheet (sortable, computable), shown as the UI shows them.
EXCEL_DATE = "DD.MM.YYYY"
EXCEL_DATETIME = "DD.MM.YYYY HH:MM"


def excel_value(value):
    """A value as a cell takes it: a timezone-aware time in Swiss local time (Excel knows no time zones)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(ZURICH).replace(tzinfo=None)
    return value


def date_cells(sheet) -> None:
    """For an openpyxl worksheet: date and time cells in the Swiss format (dd.mm.yyyy)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = EXCEL_DATETIME
            elif isinstance(cell.value, date):
                cell.number_format = EXCEL_DATE

"""Cells for spreadsheets (XLSX and CSV): text a spreadsheet would run as a formula is written as text.

A commune's answer or an imported field must not become a live formula in the canton's Excel
(OWASP, "CSV injection"). Numbers and dates are not text and stay as they are.
"""

from __future__ import annotations

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

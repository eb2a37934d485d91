"""Writing spreadsheets that are safe to open: every export's CSV and .xlsx cells go through here.

A spreadsheet reads a cell that starts with = + - @ (or a tab or carriage return
before one) as a formula, so a name an official types, such as
=HYPERLINK("http://…","…"), would run on the machine of the leader who opens
the export. This module neutralises them as OWASP's CSV-injection guidance
describes (https://owasp.org/www-community/attacks/CSV_Injection): in CSV, a
text cell starting with a trigger gets a leading single quote; in .xlsx every
text cell is written as a string cell, which no spreadsheet evaluates, so the
name shows exactly as typed. Numbers and dates stay numbers and dates: a
negative number is a number, never quoted.
"""

import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# OWASP's triggers, and their full-width forms: Excel in Chinese and Japanese turns full-width characters typed or
# read into a cell into their ASCII forms, so "＝1+1" may become a formula too. Quoting a rare name costs nothing.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# The values written as they are: numbers stay numbers, dates stay dates; everything else is written as text.
NATIVE_TYPES = (bool, int, float, Decimal, date, datetime, time)
# Characters no sheet title may hold, and the longest title Excel accepts.
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TITLE_MAX = 31
_WIDEST_COLUMN = 60


def as_cell_value(value):
    """Return VALUE as a spreadsheet stores it: None, a number or a date as is; anything else (lazy text too) as str."""
    if value is None or isinstance(value, NATIVE_TYPES):
        return value
    return str(value)


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read TEXT as a formula: it starts with one of FORMULA_TRIGGERS."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_cell(value):
    """Return VALUE for a CSV file: text that could be read as a formula behind a single quote; numbers unchanged."""
    value = as_cell_value(value)
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def csv_text(rows) -> str:
    """Return ROWS (header first) as CSV text with a byte-order mark, so Excel reads the Chinese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def xlsx_row(sheet, row, *, font: Font | None = None) -> list:
    """Return ROW as cells of the write-only SHEET: text as string cells (never formulas), numbers and dates as such."""
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, as_cell_value(value))
        if isinstance(cell.value, str):
            # openpyxl makes any text starting with "=" a formula; a string cell is shown as typed, never evaluated.
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def sheet_title(title: str) -> str:
    """Return TITLE as Excel accepts a sheet's name: without []:*?/\\, at most 31 characters."""
    return _TITLE_FORBIDDEN.sub("-", str(title))[:_TITLE_MAX] or "Sheet"


def xlsx_bytes(sheets: dict[str, list]) -> bytes:
    """Return an .xlsx workbook of SHEETS (title → rows, header first): the header bold and frozen, columns fitted."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(sheet_title(title))
        sheet.freeze_panes = "A2"
        widths: dict[int, int] = {}
        for row in rows:
            for index, value in enumerate(row, start=1):
                widths[index] = max(widths.get(index, 0), len(str(value)) if value is not None else 0)
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, _WIDEST_COLUMN)
        for number, row in enumerate(rows):
            sheet.append(xlsx_row(sheet, row, font=bold if number == 0 else None))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""Reading a ledger: the two sheets of an .xlsx workbook or a folder of CSV files, with the guards against hostile files."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from .columns import ENTERPRISES_SHEET, SITES_SHEET, LedgerError, Problem, header_key

# Guards against workbooks built to exhaust the server: what the zip may unpack to, and how many cells
# (last row × last column) a sheet may span; the readers allocate the whole span.
XLSX_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
SHEET_MAX_CELLS = 5_000_000


@dataclass
class SheetRow:
    """One data row of a sheet, with its spreadsheet row number (the header is row 1)."""

    number: int
    values: dict[str, object]


def read_ledger(path: Path) -> dict[str, list[SheetRow]]:
    """Read the two sheets from an .xlsx workbook or a folder of 地块.csv and 企业.csv."""
    path = Path(path)
    if path.is_dir():
        return {sheet: _read_csv(path / f"{sheet}.csv", sheet) for sheet in (SITES_SHEET, ENTERPRISES_SHEET)}
    if path.suffix.lower() == ".csv":
        raise LedgerError([Problem(path.name, None, "", _("Give the folder holding 地块.csv and 企业.csv, not one CSV file."))])
    with path.open("rb") as handle:
        return read_workbook(handle, name=path.name)


def read_workbook(handle, *, name: str) -> dict[str, list[SheetRow]]:
    """Read the 地块 and 企业 sheets of an .xlsx file object."""
    try:
        handle.seek(0)  # a zip is read from its end: where the handle stands never mattered
        values = _sheet_values(handle.read(), (SITES_SHEET, ENTERPRISES_SHEET))
    except LedgerError as error:
        # The guards know the workbook by its content only; name the file.
        raise LedgerError([replace(problem, sheet=problem.sheet or name) for problem in error.problems]) from None
    except Exception:  # the readers raise many kinds for a file that is not a workbook
        raise LedgerError([Problem(name, None, "", _("This is not an Excel .xlsx file."))]) from None
    sheets = {}
    for sheet in (SITES_SHEET, ENTERPRISES_SHEET):
        if sheet not in values:
            raise LedgerError([Problem(sheet, None, "", _("The workbook has no sheet named %(sheet)s.") % {"sheet": sheet})])
        sheets[sheet] = rows_with_header(values[sheet])
    return sheets


# A cell holding an Excel error (#N/A, #DIV/0! …). A false match (the text in a string cell) only costs speed.
_ERROR_CELL = re.compile(rb"""\st=["']e["']""")


def _sheet_values(data: bytes, wanted: tuple[str, ...]) -> dict[str, list]:
    """Return the rows of cell values of the sheets in WANTED that the .xlsx DATA holds.

    calamine reads a large sheet about ten times faster than openpyxl, but reads
    an error cell as empty; a workbook holding any goes through openpyxl, which
    gives the error's text, so that the cell is reported rather than skipped.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.namelist()
        if "xl/workbook.xml" not in members:
            raise ValueError("not an .xlsx workbook")  # calamine would also read .xls and .ods
        if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNPACKED_BYTES:
            raise LedgerError([Problem("", None, "", _("The workbook unpacks to more than %(limit)s MB; split the ledger.")
                                       % {"limit": XLSX_MAX_UNPACKED_BYTES // 1024 // 1024})])
        has_errors = False
        for member in members:
            if member.startswith("xl/worksheets/"):
                xml = archive.read(member)
                _check_sheet_span(xml)
                has_errors = has_errors or _ERROR_CELL.search(xml) is not None
    if not has_errors:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return {
            sheet: [list(map(_as_openpyxl_reads, row)) for row in workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)]
            for sheet in wanted if sheet in workbook.sheet_names
        }
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {sheet: list(workbook[sheet].iter_rows(values_only=True)) for sheet in wanted if sheet in workbook.sheetnames}
    finally:
        workbook.close()


# The position of a cell (<c r="AB12">) or a row (<row r="12">) in a sheet's XML.
_CELL_POSITION = re.compile(rb"""<(?:\w+:)?c\s[^>]*?\br=["']([A-Za-z]{1,9})([0-9]{1,12})["']""")
_ROW_POSITION = re.compile(rb"""<(?:\w+:)?row\s[^>]*?\br=["']([0-9]{1,12})["']""")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _check_sheet_span(xml: bytes) -> None:
    """Refuse a sheet whose last cell lies so far out that reading it would exhaust the server.

    Both readers allocate every cell up to the last row and column used: one
    cell at XFD1048576 is 17 billion cells, and calamine aborts the process.
    """
    last_row = max((int(row) for row in _ROW_POSITION.findall(xml)), default=0)
    last_column = 1
    for letters, row in _CELL_POSITION.findall(xml):
        last_row = max(last_row, int(row))
        last_column = max(last_column, _column_number(letters))
    if last_row * last_column > SHEET_MAX_CELLS:
        raise LedgerError([Problem("", None, "", _(
            "A sheet reaches row %(row)s and column %(column)s, more than %(limit)s cells to read; delete the empty "
            "rows and columns after the data, or split the ledger."
        ) % {"row": last_row, "column": last_column, "limit": SHEET_MAX_CELLS})])


def _as_openpyxl_reads(value):
    """Return a cell value read by calamine as openpyxl gives it: None when empty, an integer as int, a date as datetime."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


def _read_csv(path: Path, sheet: str) -> list[SheetRow]:
    if not path.exists():
        raise LedgerError([Problem(sheet, None, "", _("%(file)s is missing.") % {"file": path.name})])
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as Excel writes it, is allowed
    except UnicodeDecodeError:
        raise LedgerError([Problem(sheet, None, "", _("%(file)s is not UTF-8 text.") % {"file": path.name})]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error:  # a cell over the csv module's field size limit
        raise LedgerError([Problem(sheet, reader.line_num or None, "", _(
            "%(file)s cannot be read as CSV: a cell is longer than %(limit)s characters, or its quotes do not match."
        ) % {"file": path.name, "limit": csv.field_size_limit()})]) from None
    return rows_with_header(rows)


def rows_with_header(rows: Iterable[tuple]) -> list[SheetRow]:
    """Return the header (row 1) and every row holding a value, as SheetRows keyed by the header's names.

    A name is keyed as header_key gives it, so that 面积（亩） and 面积 (亩) are the column 面积(亩).
    """
    iterator = iter(rows)
    header = next(iterator, None) or ()
    names = [header_key(str(cell)) if cell is not None else "" for cell in header]
    result = []
    for number, row in enumerate(iterator, start=2):
        values = {name: (row[index] if index < len(row) else None) for index, name in enumerate(names) if name}
        if any(cell_text(value) for value in values.values()):
            result.append(SheetRow(number, values))
    return [SheetRow(1, {name: name for name in names if name})] + result


def cell_text(value) -> str:
    """Return a cell's value as trimmed text: '' when empty, a whole float without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


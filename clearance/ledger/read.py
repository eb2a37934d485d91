"""Reading a ledger: the two sheets of an .xlsx workbook or a folder of CSV files, with the guards against hostile files."""

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from .columns import ENTERPRISES_SHEET, SITES_SHEET, LedgerError, Problem, header_key
from .guards import too_large, too_many_rows, workbook_scan

SHEETS = (SITES_SHEET, ENTERPRISES_SHEET)


@dataclass
class SheetRow:
    """One data row of a sheet, with its spreadsheet row number (the header is row 1)."""

    number: int
    values: dict[str, object]


def read_ledger(path: Path, *, max_rows: int | None = None) -> dict[str, list[SheetRow]]:
    """Read the two sheets from an .xlsx workbook or a folder of 地块.csv and 企业.csv.

    A sheet of more than MAX_ROWS data rows is refused (None: no limit, as for
    `manage.py import_ledger`); the guards against hostile workbooks always hold.
    """
    path = Path(path)
    if path.is_dir():
        return {sheet: rows_with_header(_csv_rows(path / f"{sheet}.csv", sheet, max_rows=max_rows)) for sheet in SHEETS}
    if path.suffix.lower() == ".csv":
        raise LedgerError([Problem(path.name, None, "", _("Give the folder holding 地块.csv and 企业.csv, not one CSV file."))])
    with path.open("rb") as handle:
        return read_workbook(handle, name=path.name, max_rows=max_rows)


def inspect_ledger(path: Path, *, max_rows: int | None = None, max_bytes: int | None = None) -> None:
    """Refuse, cheaply and before any reader allocates, a ledger the web may not import: raise LedgerError.

    PATH is an .xlsx workbook or a folder of 地块.csv and 企业.csv. Refused: a file
    over MAX_BYTES (default CLEARANCE_LEDGER_UPLOAD_MAX_BYTES), a sheet over
    MAX_ROWS data rows (default CLEARANCE_LEDGER_MAX_ROWS), and what read_ledger
    refuses before reading: archives that unpack to too much or lie about their
    sizes, sheets spanning too many cells, CSV that is not UTF-8. A CSV is read
    only up to the row past the limit, a workbook streamed once in chunks.
    """
    max_rows = settings.CLEARANCE_LEDGER_MAX_ROWS if max_rows is None else max_rows
    max_bytes = settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    path = Path(path)
    files = [path / f"{sheet}.csv" for sheet in SHEETS] if path.is_dir() else [path]
    for file in files:
        if file.exists() and file.stat().st_size > max_bytes:
            raise too_large(file.name, max_bytes)
    if path.is_dir():
        for sheet in SHEETS:
            for _row in _csv_rows(path / f"{sheet}.csv", sheet, max_rows=max_rows):
                pass
        return
    if path.suffix.lower() == ".csv":
        raise LedgerError([Problem(path.name, None, "", _("Give the folder holding 地块.csv and 企业.csv, not one CSV file."))])
    with path.open("rb") as handle, _named(path.name):
        workbook_scan(handle, max_rows=max_rows)


def read_sheet(path: Path, sheet: str, *, max_rows: int | None = None, command: str = "import_indicators") -> list[SheetRow]:
    """Read the one sheet SHEET of an .xlsx workbook, or the .csv file holding it (the evaluation's 亩均数据).

    A sheet of more than MAX_ROWS data rows is refused (None: no limit), naming COMMAND to import it on the server;
    the guards against hostile workbooks hold.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return rows_with_header(_csv_rows(path, sheet, max_rows=max_rows, command=command))
    with path.open("rb") as handle, _named(path.name):
        has_error_cells = workbook_scan(handle, max_rows=max_rows, command=command)
        values = _sheet_values(handle, (sheet,), has_error_cells=has_error_cells)
    if sheet not in values:
        raise LedgerError([Problem(sheet, None, "", _("The workbook has no sheet named %(sheet)s.") % {"sheet": sheet})])
    return rows_with_header(values[sheet])


def inspect_sheet(path: Path, sheet: str, *, max_rows: int | None = None, max_bytes: int | None = None,
                  command: str = "import_indicators") -> None:
    """Refuse cheaply, as inspect_ledger does, a one-sheet workbook or CSV file the web may not import; the refusal
    says to import it on the server with COMMAND."""
    max_rows = settings.CLEARANCE_LEDGER_MAX_ROWS if max_rows is None else max_rows
    max_bytes = settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    path = Path(path)
    if path.stat().st_size > max_bytes:
        raise too_large(path.name, max_bytes, command=command)
    if path.suffix.lower() == ".csv":
        for _row in _csv_rows(path, sheet, max_rows=max_rows, command=command):
            pass
        return
    with path.open("rb") as handle, _named(path.name):
        workbook_scan(handle, max_rows=max_rows, command=command)


def read_workbook(handle, *, name: str, max_rows: int | None = None) -> dict[str, list[SheetRow]]:
    """Read the 地块 and 企业 sheets of an .xlsx file object, refusing a sheet over MAX_ROWS data rows."""
    with _named(name):
        has_error_cells = workbook_scan(handle, max_rows=max_rows)
        values = _sheet_values(handle, SHEETS, has_error_cells=has_error_cells)
    sheets = {}
    for sheet in SHEETS:
        if sheet not in values:
            raise LedgerError([Problem(sheet, None, "", _("The workbook has no sheet named %(sheet)s.") % {"sheet": sheet})])
        sheets[sheet] = rows_with_header(values[sheet])
    return sheets


@contextmanager
def _named(name: str):
    """Name the file in the guards' refusals, which know a workbook by its content only; any other failure means
    the file is not a workbook (the zip module and the readers raise many kinds)."""
    try:
        yield
    except LedgerError as error:
        raise LedgerError([replace(problem, sheet=problem.sheet or name) for problem in error.problems]) from None
    except Exception:
        raise LedgerError([Problem(name, None, "", _("This is not an Excel .xlsx file."))]) from None


def _sheet_values(handle, wanted: tuple[str, ...], *, has_error_cells: bool) -> dict[str, list]:
    """Return the rows of cell values of the sheets in WANTED that the .xlsx in HANDLE holds; it passed workbook_scan.

    calamine reads a large sheet about ten times faster than openpyxl, but reads
    an error cell as empty; a workbook holding any goes through openpyxl, which
    gives the error's text, so that the cell is reported rather than skipped.
    """
    handle.seek(0)  # a zip is read from its end: where the handle stands never mattered
    data = io.BytesIO(handle.read())
    if not has_error_cells:
        workbook = CalamineWorkbook.from_filelike(data)
        return {
            sheet: [list(map(_as_openpyxl_reads, row)) for row in workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)]
            for sheet in wanted if sheet in workbook.sheet_names
        }
    workbook = load_workbook(data, read_only=True, data_only=True)
    try:
        return {sheet: list(workbook[sheet].iter_rows(values_only=True)) for sheet in wanted if sheet in workbook.sheetnames}
    finally:
        workbook.close()


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


def _csv_rows(path: Path, sheet: str, *, max_rows: int | None, command: str = "import_ledger") -> Iterator[list[str]]:
    """Yield the rows of the CSV file PATH as it is read, the header first; refuse it past MAX_ROWS rows holding a value."""
    if not path.exists():
        raise LedgerError([Problem(sheet, None, "", _("%(file)s is missing.") % {"file": path.name})])
    with path.open(encoding="utf-8-sig", newline="") as text:  # a BOM, as Excel writes it, is allowed
        reader = csv.reader(text)
        filled = 0
        try:
            for index, row in enumerate(reader):
                if index and any(cell.strip() for cell in row):
                    filled += 1
                    if max_rows is not None and filled > max_rows:
                        raise too_many_rows(path.name, sheet, max_rows, command=command)
                yield row
        except UnicodeDecodeError:
            raise LedgerError([Problem(sheet, None, "", _("%(file)s is not UTF-8 text.") % {"file": path.name})]) from None
        except csv.Error:  # a cell over the csv module's field size limit
            raise LedgerError([Problem(sheet, reader.line_num or None, "", _(
                "%(file)s cannot be read as CSV: a cell is longer than %(limit)s characters, or its quotes do not match."
            ) % {"file": path.name, "limit": csv.field_size_limit()})]) from None


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


"""The guards a ledger file passes before any reader sees it: its size, its archive, its sheets' span and rows."""

import copy
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from .columns import LedgerError, Problem

# How much of an archive entry is inflated at a time: memory stays at a few of these whatever the file claims.
CHUNK_BYTES = 1024 * 1024
# The longest tag a sheet's XML may hold (Excel's are under a hundred bytes); a longer run without
# markup is not a workbook a spreadsheet wrote, and scanning it would need it whole.
TAG_MAX_BYTES = 1024 * 1024
# Excel writes entries stored or deflated; zipfile inflates the other methods in one unbounded step.
ENTRY_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# zipfile stops an entry at its declared size; asking for more lets the real size show.
UNTRUSTED_SIZE = 1 << 62

# A cell holding an Excel error (#N/A, #DIV/0! …). A false match (the text in a string cell) only costs speed.
_ERROR_CELL = re.compile(rb"""\st=["']e["']""")
# The attributes of a tag before the one wanted: quoted values may hold ">", never "<".
_ATTRIBUTES = rb"""(?:[^<>"']|"[^"<]*"|'[^'<]*')*?"""
# The position of a cell (<c r="AB12">) or a row (<row r="12">) in a sheet's XML.
_CELL_POSITION = re.compile(rb"""<(?:\w+:)?c\s""" + _ATTRIBUTES + rb"""\br=["']([A-Za-z]{1,9})([0-9]{1,12})["']""")
_ROW_POSITION = re.compile(rb"""<(?:\w+:)?row\s""" + _ATTRIBUTES + rb"""\br=["']([0-9]{1,12})["']""")


@dataclass
class SheetSpan:
    """What the scan of one sheet's XML found: its last row and column, and whether a cell holds an Excel error."""

    last_row: int = 0
    last_column: int = 1
    has_error_cells: bool = False

    def feed(self, xml: bytes) -> None:
        """Take in a piece of the sheet's XML holding whole tags (a tag seen twice counts once)."""
        for row in _ROW_POSITION.findall(xml):
            self.last_row = max(self.last_row, int(row))
        for letters, row in _CELL_POSITION.findall(xml):
            self.last_row = max(self.last_row, int(row))
            self.last_column = max(self.last_column, column_number(letters))
        self.has_error_cells = self.has_error_cells or _ERROR_CELL.search(xml) is not None


def column_number(letters: bytes) -> int:
    """Return the number of a spreadsheet column from its letters: A is 1, Z 26, AA 27."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def workbook_scan(handle, *, max_rows: int | None = None, command: str = "import_ledger") -> bool:
    """Check the .xlsx in HANDLE by streaming every entry once; return whether a sheet holds an Excel error cell.

    Every entry is inflated in chunks and counted as the bytes come out, never by
    the sizes the archive declares: an entry that gives more than it declares is
    refused, and so is a total over CLEARANCE_LEDGER_MAX_UNPACKED_BYTES. Each
    sheet's last row and column are read from the stream; a sheet spanning more
    than CLEARANCE_LEDGER_SHEET_MAX_CELLS cells, or (given MAX_ROWS) more data rows,
    is refused, naming COMMAND, the management command that imports it on the server.
    Raise LedgerError with the reason, ValueError for a file that is not a workbook.
    """
    budget = settings.CLEARANCE_LEDGER_MAX_UNPACKED_BYTES
    has_error_cells = False
    with zipfile.ZipFile(handle) as archive:
        entries = archive.infolist()
        if "xl/workbook.xml" not in {entry.filename for entry in entries}:
            raise ValueError("not an .xlsx workbook")  # calamine would also read .xls and .ods
        if sum(entry.file_size for entry in entries) > budget:
            raise _unpacked_too_much(budget)
        unpacked = 0
        for entry in entries:
            if entry.compress_type not in ENTRY_METHODS:
                raise ValueError(f"{entry.filename}: compression method {entry.compress_type}")
            span = SheetSpan() if entry.filename.startswith("xl/worksheets/") else None
            unpacked += _entry_scan(archive, entry, span, already=unpacked, budget=budget)
            if span is not None:
                _span_check(span, max_rows, command)
                has_error_cells = has_error_cells or span.has_error_cells
    return has_error_cells


def _entry_scan(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, span: SheetSpan | None, *, already: int, budget: int) -> int:
    """Inflate ENTRY chunk by chunk, feeding SPAN whole tags; return its real size."""
    untrusted = copy.copy(entry)
    untrusted.file_size = UNTRUSTED_SIZE
    size = 0
    pending = b""  # the unfinished tag at the end of the last chunk, scanned again with the next
    with archive.open(untrusted) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            size += len(chunk)
            if size > entry.file_size:
                raise LedgerError([Problem("", None, "", _(
                    "The workbook is damaged or forged: %(member)s unpacks to more than the %(size)s bytes it declares."
                ) % {"member": entry.filename, "size": entry.file_size})])
            if already + size > budget:
                raise _unpacked_too_much(budget)
            if span is None:
                continue
            xml = pending + chunk
            cut = xml.rfind(b"<")
            span.feed(xml)
            pending = xml[cut:] if cut >= 0 else xml
            if len(pending) > TAG_MAX_BYTES:
                raise ValueError(f"{entry.filename}: a run of {len(pending)} bytes without markup")
    return size


def _unpacked_too_much(budget: int) -> LedgerError:
    return LedgerError([Problem("", None, "", _("The workbook unpacks to more than %(limit)s MB; split the ledger.")
                                % {"limit": budget // 1024 // 1024})])


def _span_check(span: SheetSpan, max_rows: int | None, command: str) -> None:
    """Refuse a sheet whose last cell lies so far out that reading it would exhaust the server, or past MAX_ROWS.

    Both readers allocate every cell up to the last row and column used: one
    cell at XFD1048576 is 17 billion cells, and calamine aborts the process.
    """
    limit = settings.CLEARANCE_LEDGER_SHEET_MAX_CELLS
    if span.last_row * span.last_column > limit:
        raise LedgerError([Problem("", None, "", _(
            "A sheet reaches row %(row)s and column %(column)s, more than %(limit)s cells to read; delete the empty "
            "rows and columns after the data, or split the ledger."
        ) % {"row": span.last_row, "column": span.last_column, "limit": limit})])
    if max_rows is not None and span.last_row - 1 > max_rows:  # row 1 is the header
        raise LedgerError([Problem("", None, "", _(
            "A sheet reaches row %(row)s, more than the %(limit)s rows a file uploaded on the web may hold per "
            "sheet. Import a larger file on the server with python manage.py %(command)s."
        ) % {"row": span.last_row, "limit": max_rows, "command": command})])


def too_many_rows(file_name: str, sheet: str, max_rows: int, *, command: str = "import_ledger") -> LedgerError:
    """The refusal of a CSV file holding more than MAX_ROWS data rows; COMMAND imports it on the server."""
    return LedgerError([Problem(sheet, None, "", _(
        "%(file)s holds more than %(limit)s rows, the most a file uploaded on the web may hold per sheet. "
        "Import a larger file on the server with python manage.py %(command)s."
    ) % {"file": file_name, "limit": max_rows, "command": command})])


def too_large(file_name: str, max_bytes: int, *, command: str = "import_ledger") -> LedgerError:
    """The refusal of an uploaded file larger than MAX_BYTES; COMMAND imports it on the server."""
    return LedgerError([Problem(file_name, None, "", _(
        "%(file)s is larger than %(limit)s MB, the most a file uploaded on the web may be. "
        "Import it on the server with python manage.py %(command)s."
    ) % {"file": file_name, "limit": f"{max_bytes / 1024 / 1024:g}", "command": command})])

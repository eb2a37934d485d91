"""Whole ledgers (台账) in and out: the 地块/企业 template of DOMAIN.md as .xlsx or CSV."""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from . import services
from .choices import Category, Disposal, Stage
from .models import Enterprise, Event, Site, Town
from .validators import CONTROL_CHARACTERS, validate_credit_code

SITES_SHEET, ENTERPRISES_SHEET = "地块", "企业"

# Column headers exactly as DOMAIN.md fixes them; the ledger is Chinese whatever the UI language.
SITE_NAME, SITE_TOWN, SITE_AREA, SITE_PARENT, SITE_LAND_USE, SITE_VACATED = (
    "地块名称", "镇街道", "面积(亩)", "所属区域", "土地性质", "腾退日期",
)
SITE_COLUMNS = (SITE_NAME, SITE_TOWN, SITE_AREA, SITE_PARENT, SITE_LAND_USE, SITE_VACATED)
SITE_REQUIRED = (SITE_NAME, SITE_TOWN, SITE_AREA)

(ENT_NAME, ENT_CODE, ENT_TOWN, ENT_SITE, ENT_CATEGORIES, ENT_DISPOSAL, ENT_ENERGY_USE, ENT_ENERGY_FREED,
 ENT_SIGNED, ENT_VACATED, ENT_CLOSED) = (
    "企业名称", "统一社会信用代码", "镇街道", "所在地块", "企业类型", "处置方式", "年用能(吨标煤)",
    "腾出用能(吨标煤)", "签约日期", "腾退日期", "销号日期",
)
ENTERPRISE_COLUMNS = (ENT_NAME, ENT_CODE, ENT_TOWN, ENT_SITE, ENT_CATEGORIES, ENT_DISPOSAL, ENT_ENERGY_USE,
                      ENT_ENERGY_FREED, ENT_SIGNED, ENT_VACATED, ENT_CLOSED)
ENTERPRISE_REQUIRED = (ENT_NAME, ENT_TOWN, ENT_SITE)
STAGE_COLUMNS = ((Stage.SIGNED, ENT_SIGNED), (Stage.VACATED, ENT_VACATED), (Stage.CLOSED, ENT_CLOSED))

# The ledger's words are the campaign's Chinese names, not the UI language's labels.
CATEGORY_NAMES = {
    "两高一低": Category.TWO_HIGH_ONE_LOW,
    "高耗低效": Category.HIGH_CONSUMPTION,
    "低散乱污": Category.LOW_SCATTERED,
    "厂中厂": Category.FACTORY_IN_FACTORY,
    "租赁企业": Category.TENANT,
}
DISPOSAL_NAMES = {
    "改造提升": Disposal.UPGRADE,
    "关停淘汰": Disposal.SHUT_DOWN,
    "腾退收回": Disposal.VACATE,
    "兼并重组": Disposal.MERGE,
    "提升入园": Disposal.MOVE_TO_PARK,
}
CATEGORY_SEPARATOR = "、"

# Guards against workbooks built to exhaust the server: what the zip may unpack to, and how many cells
# (last row × last column) a sheet may span; the readers allocate the whole span.
XLSX_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
SHEET_MAX_CELLS = 5_000_000


class LedgerError(Exception):
    """The ledger cannot be read or imported; ``problems`` names each bad row."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Problem:
    """One reason a ledger was refused: where it is (sheet, spreadsheet row, column) and why."""

    sheet: str
    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row} if self.row else _("header")
        column = f" {self.column}" if self.column else ""
        return f"{self.sheet} {where}{column}：{self.reason}"


@dataclass
class Counts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, outcome: services.Upsert) -> None:
        if outcome.created:
            self.created += 1
        elif outcome.changed:
            self.changed += 1
        else:
            self.unchanged += 1


@dataclass
class ImportReport:
    """What an import created, changed and left alone, per kind of row."""

    sites: Counts = field(default_factory=Counts)
    enterprises: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)
    dry_run: bool = False

    def lines(self) -> list[str]:
        return [
            _("%(kind)s: %(created)s created, %(changed)s changed, %(unchanged)s unchanged")
            % {"kind": kind, "created": counts.created, "changed": counts.changed, "unchanged": counts.unchanged}
            for kind, counts in ((_("Sites"), self.sites), (_("Enterprises"), self.enterprises), (_("Events"), self.events))
        ]


@dataclass
class SheetRow:
    """One data row of a sheet, with its spreadsheet row number (the header is row 1)."""

    number: int
    values: dict[str, object]


# Reading ---------------------------------------------------------------------


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
        sheets[sheet] = _rows_with_header(values[sheet])
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
    return _rows_with_header(rows)


def _rows_with_header(rows: Iterable[tuple]) -> list[SheetRow]:
    iterator = iter(rows)
    header = next(iterator, None) or ()
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    result = []
    for number, row in enumerate(iterator, start=2):
        values = {name: (row[index] if index < len(row) else None) for index, name in enumerate(names) if name}
        if any(_text(value) for value in values.values()):
            result.append(SheetRow(number, values))
    return [SheetRow(1, {name: name for name in names if name})] + result


# Parsing cells ---------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class CellError(ValueError):
    """A cell's value that cannot be read; the message is the reason shown to the user."""


def _decimal(value, *, positive: bool = False) -> Decimal | None:
    text = _text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text[:40]})
    if positive and number <= 0:
        raise CellError(_("The area must be a positive number of mu."))
    if number < 0:
        raise CellError(_("The number cannot be negative."))
    # The size first: quantizing a number of more digits than the context's precision raises InvalidOperation.
    if abs(number) >= Decimal("1e12") or number != number.quantize(Decimal("0.01")):
        raise CellError(_("Give at most two decimals and fewer than 12 digits."))
    return number


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value) -> date | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = _text(value)
        try:
            # fromisoformat alone would also take week dates (2022-W01-1) and other digits.
            if not ISO_DATE.fullmatch(text):
                raise ValueError(text)
            parsed = date.fromisoformat(text)
        except ValueError:
            raise CellError(_("“%(value)s” is not a date written YYYY-MM-DD.") % {"value": text[:40]}) from None
    if parsed > timezone.localdate():
        raise CellError(_("The date cannot be in the future."))
    if parsed.year < 2000:
        raise CellError(_("The date is before 2000."))
    return parsed


# Importing -------------------------------------------------------------------


@dataclass
class _SiteRow:
    row: int
    town: Town
    name: str
    area: Decimal
    parent_name: str
    land_use: str
    vacated_on: date | None


@dataclass
class _EnterpriseRow:
    row: int
    town: Town
    name: str
    code: str | None
    site_name: str
    fields: dict
    dates: dict[Stage, date]


class _Collector:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, sheet: str, row: int | None, column: str, reason: str) -> None:
        self.problems.append(Problem(sheet, row, column, reason))

    def cell(self, sheet: str, row: SheetRow, column: str, reader: Callable, **kwargs):
        try:
            return reader(row.values.get(column), **kwargs)
        except CellError as error:
            self.add(sheet, row.number, column, str(error))
            return None


def _check_characters(sheet: str, row: SheetRow, problems: _Collector) -> None:
    """Name every cell of ROW holding control characters: PostgreSQL refuses NUL, and no workbook can hold them."""
    for column, value in row.values.items():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            problems.add(sheet, row.number, column, _("Remove the control characters (such as NUL) from this text."))


def _check_header(sheet: str, rows: list[SheetRow], required: tuple[str, ...], problems: _Collector) -> None:
    present = set(rows[0].values) if rows else set()
    for column in required:
        if column not in present:
            problems.add(sheet, 1, column, _("The required column %(column)s is missing.") % {"column": column})


def _parse_sites(rows: list[SheetRow], towns: dict[str, Town], problems: _Collector) -> list[_SiteRow]:
    parsed, seen = [], {}
    for row in rows[1:]:
        _check_characters(SITES_SHEET, row, problems)
        name, town_name = _text(row.values.get(SITE_NAME)), _text(row.values.get(SITE_TOWN))
        if not name:
            problems.add(SITES_SHEET, row.number, SITE_NAME, _("The name is empty."))
        town = towns.get(town_name)
        if town is None:
            problems.add(SITES_SHEET, row.number, SITE_TOWN, _("Unknown town “%(town)s”.") % {"town": town_name})
        area = problems.cell(SITES_SHEET, row, SITE_AREA, _decimal, positive=True)
        if area is None and not _text(row.values.get(SITE_AREA)):
            problems.add(SITES_SHEET, row.number, SITE_AREA, _("The area must be a positive number of mu."))
        vacated_on = problems.cell(SITES_SHEET, row, SITE_VACATED, _date)
        if not (name and town and area):
            continue
        key = (town.pk, name)
        if key in seen:
            first = seen[key]
            if first.area != area:
                problems.add(
                    SITES_SHEET, row.number, SITE_AREA,
                    _("The area differs from row %(row)s (%(area)s mu).") % {"row": first.row, "area": first.area},
                )
            else:
                problems.add(
                    SITES_SHEET, row.number, SITE_NAME,
                    _("The site is listed twice (also row %(row)s).") % {"row": first.row},
                )
            continue
        seen[key] = site = _SiteRow(
            row.number, town, name, area, _text(row.values.get(SITE_PARENT)), _text(row.values.get(SITE_LAND_USE)),
            vacated_on,
        )
        parsed.append(site)
    return parsed


def _parse_enterprises(rows: list[SheetRow], towns: dict[str, Town], problems: _Collector) -> list[_EnterpriseRow]:
    parsed, seen = [], {}
    for row in rows[1:]:
        sheet = ENTERPRISES_SHEET
        _check_characters(sheet, row, problems)
        name, town_name = _text(row.values.get(ENT_NAME)), _text(row.values.get(ENT_TOWN))
        site_name = _text(row.values.get(ENT_SITE))
        if not name:
            problems.add(sheet, row.number, ENT_NAME, _("The name is empty."))
        town = towns.get(town_name)
        if town is None:
            problems.add(sheet, row.number, ENT_TOWN, _("Unknown town “%(town)s”.") % {"town": town_name})
        if not site_name:
            problems.add(sheet, row.number, ENT_SITE, _("The site is empty."))
        code = _text(row.values.get(ENT_CODE)).upper() or None
        if code:
            try:
                validate_credit_code(code)
            except ValidationError as error:
                problems.add(sheet, row.number, ENT_CODE, error.messages[0])
        categories = {}
        for label in filter(None, (part.strip() for part in _text(row.values.get(ENT_CATEGORIES)).split(CATEGORY_SEPARATOR))):
            if label not in CATEGORY_NAMES:
                problems.add(sheet, row.number, ENT_CATEGORIES, _("Unknown enterprise type “%(value)s”; use %(choices)s.")
                             % {"value": label, "choices": CATEGORY_SEPARATOR.join(CATEGORY_NAMES)})
            else:
                categories[CATEGORY_NAMES[label].value] = True
        disposal_text = _text(row.values.get(ENT_DISPOSAL))
        disposal = DISPOSAL_NAMES.get(disposal_text, "" if not disposal_text else None)
        if disposal is None:
            problems.add(sheet, row.number, ENT_DISPOSAL, _("Unknown disposal method “%(value)s”; use %(choices)s.")
                         % {"value": disposal_text, "choices": CATEGORY_SEPARATOR.join(DISPOSAL_NAMES)})
        energy_use = problems.cell(sheet, row, ENT_ENERGY_USE, _decimal)
        energy_freed = problems.cell(sheet, row, ENT_ENERGY_FREED, _decimal)
        dates = {stage: problems.cell(sheet, row, column, _date) for stage, column in STAGE_COLUMNS}
        dates = {stage: on for stage, on in dates.items() if on is not None}
        previous = None
        for stage, column in STAGE_COLUMNS:
            if stage in dates:
                if previous and dates[stage] < dates[previous[0]]:
                    problems.add(sheet, row.number, column, _("%(stage)s on %(date)s is earlier than %(other)s on %(other_date)s: stages must be dated in order.")
                                 % {"stage": stage.label, "date": dates[stage].isoformat(),
                                    "other": previous[0].label, "other_date": dates[previous[0]].isoformat()})
                previous = (stage, column)
        if not (name and town and site_name):
            continue
        key = ("code", code) if code else ("name", town.pk, name)
        if key in seen:
            problems.add(sheet, row.number, ENT_CODE if code else ENT_NAME,
                         _("The same enterprise is already on row %(row)s.") % {"row": seen[key]})
            continue
        seen[key] = row.number
        fields = {category.value: categories.get(category.value, False) for category in Category}
        fields.update(
            disposal=disposal or "",
            annual_energy_tce=energy_use or Decimal("0"),
            energy_freed_tce=energy_freed or Decimal("0"),
        )
        parsed.append(_EnterpriseRow(row.number, town, name, code, site_name, fields, dates))
    return parsed


def _sites_parents_first(sites: list[_SiteRow]) -> list[_SiteRow]:
    """Order rows so that each containing area is written before the parcels inside it."""
    by_key = {(site.town.pk, site.name): site for site in sites}
    ordered, placed = [], set()

    def place(site: _SiteRow, chain: tuple) -> None:
        key = (site.town.pk, site.name)
        if key in placed or key in chain:
            return
        parent = by_key.get((site.town.pk, site.parent_name))
        if parent is not None:
            place(parent, chain + (key,))
        placed.add(key)
        ordered.append(site)

    for site in sites:
        place(site, ())
    return ordered


def _errors_of(error: ValidationError) -> list[tuple[str, str]]:
    """Return (field, message) pairs of a ValidationError, field '' for errors not tied to one."""
    if hasattr(error, "error_dict"):
        return [(name, message) for name, errors in error.message_dict.items() for message in errors]
    return [("", message) for message in error.messages]


SITE_FIELD_COLUMNS = {"area_mu": SITE_AREA, "parent": SITE_PARENT, "land_use": SITE_LAND_USE, "name": SITE_NAME}
ENTERPRISE_FIELD_COLUMNS = {
    "credit_code": ENT_CODE, "site": ENT_SITE, "disposal": ENT_DISPOSAL, "annual_energy_tce": ENT_ENERGY_USE,
    "energy_freed_tce": ENT_ENERGY_FREED, "name": ENT_NAME, "town": ENT_TOWN,
}


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or bad rows)."""


def ledger_import(*, path: Path | None = None, sheets: dict[str, list[SheetRow]] | None = None, user=None,
                  dry_run: bool = False, progress: Callable[[int, int], None] | None = None,
                  row_by_row: bool = False) -> ImportReport:
    """Import a whole ledger, all or nothing; raise LedgerError naming every bad row, with nothing written.

    Sites are keyed by (镇街道, 地块名称), enterprises by 统一社会信用代码 when
    given, else by (镇街道, 企业名称). Re-importing the same ledger changes
    nothing; a changed value is updated in place and kept in the history,
    attributed to USER. A date left empty removes nothing.

    The rows are checked in memory and written in batches (ledger_bulk);
    ROW_BY_ROW writes each row through the services instead, the slow
    reference the batched path is tested against.
    """
    sheets = sheets if sheets is not None else read_ledger(path)
    problems = _Collector()
    _check_header(SITES_SHEET, sheets[SITES_SHEET], SITE_REQUIRED, problems)
    _check_header(ENTERPRISES_SHEET, sheets[ENTERPRISES_SHEET], ENTERPRISE_REQUIRED, problems)
    if problems.problems:
        raise LedgerError(problems.problems)
    towns = {town.name: town for town in Town.objects.all()}
    site_rows = _parse_sites(sheets[SITES_SHEET], towns, problems)
    enterprise_rows = _parse_enterprises(sheets[ENTERPRISES_SHEET], towns, problems)
    if problems.problems:
        raise LedgerError(problems.problems)

    report = ImportReport(dry_run=dry_run)
    total = len(site_rows) + len(enterprise_rows)
    try:
        with transaction.atomic():
            if row_by_row:
                _write(site_rows, enterprise_rows, user=user, report=report, problems=problems, progress=progress,
                       total=total)
            else:
                from .ledger_bulk import ledger_write  # ledger_bulk builds on this module

                ledger_write(site_rows, enterprise_rows, user=user, report=report, problems=problems,
                             progress=progress, total=total, dry_run=dry_run)
            if problems.problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if problems.problems:
        raise LedgerError(sorted(problems.problems, key=lambda p: (p.sheet != SITES_SHEET, p.row or 0)))
    return report


def _write(site_rows, enterprise_rows, *, user, report, problems, progress, total) -> None:
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    sites: dict[tuple[int, str], Site] = {
        (site.town_id, site.name): site for site in Site.objects.filter(town__in={row.town for row in site_rows + enterprise_rows})
    }
    for row in _sites_parents_first(site_rows):
        parent = None
        if row.parent_name:
            parent = sites.get((row.town.pk, row.parent_name))
            if parent is None:
                problems.add(SITES_SHEET, row.row, SITE_PARENT,
                             _("Unknown containing area “%(name)s” in %(town)s.") % {"name": row.parent_name, "town": row.town.name})
                tick()
                continue
        try:
            outcome = services.site_upsert(town=row.town, name=row.name, user=user, area_mu=row.area, parent=parent,
                                           land_use=row.land_use)
        except ValidationError as error:
            for name, message in _errors_of(error):
                problems.add(SITES_SHEET, row.row, SITE_FIELD_COLUMNS.get(name, ""), message)
        else:
            report.sites.add(outcome)
            sites[(row.town.pk, row.name)] = outcome.obj
        tick()

    other_town_sites = {}
    for site in Site.objects.filter(name__in={row.site_name for row in enterprise_rows}).select_related("town"):
        other_town_sites.setdefault(site.name, site.town.name)
    for row in enterprise_rows:
        tick()
        site = sites.get((row.town.pk, row.site_name))
        if site is None:
            elsewhere = other_town_sites.get(row.site_name)
            reason = (
                _("The site “%(site)s” belongs to %(other)s, not to %(town)s.") % {"site": row.site_name, "other": elsewhere, "town": row.town.name}
                if elsewhere else _("Unknown site “%(site)s” in %(town)s.") % {"site": row.site_name, "town": row.town.name}
            )
            problems.add(ENTERPRISES_SHEET, row.row, ENT_SITE, reason)
            continue
        try:
            enterprise = _enterprise_upsert(row, site=site, user=user, report=report)
        except ValidationError as error:
            for name, message in _errors_of(error):
                problems.add(ENTERPRISES_SHEET, row.row, ENTERPRISE_FIELD_COLUMNS.get(name, ""), message)
            continue
        for stage, column in STAGE_COLUMNS:
            if stage not in row.dates:
                continue
            try:
                report.events.add(services.event_upsert(enterprise=enterprise, stage=stage, on=row.dates[stage], user=user))
            except ValidationError as error:
                for _name, message in _errors_of(error):
                    problems.add(ENTERPRISES_SHEET, row.row, column, message)
                break

    for row in site_rows:
        site = sites.get((row.town.pk, row.name))
        if row.vacated_on is None or site is None or site.pk is None:
            continue
        try:
            report.events.add(services.event_upsert(site=site, stage=Stage.VACATED, on=row.vacated_on, user=user))
        except ValidationError as error:
            for _name, message in _errors_of(error):
                problems.add(SITES_SHEET, row.row, SITE_VACATED, message)


def _enterprise_upsert(row: _EnterpriseRow, *, site: Site, user, report: ImportReport) -> Enterprise:
    fields = {**row.fields, "site": site}
    if row.code:
        if Enterprise.objects.filter(credit_code=row.code).exists():
            # The code is the key: the ledger may correct the name and town it is filed under.
            outcome = services.enterprise_upsert_by_code(
                credit_code=row.code, user=user, name=row.name, town=row.town, **fields
            )
            report.enterprises.add(outcome)
            return outcome.obj
        fields["credit_code"] = row.code
    outcome = services.enterprise_upsert(town=row.town, name=row.name, user=user, **fields)
    report.enterprises.add(outcome)
    return outcome.obj


# Exporting -------------------------------------------------------------------


def ledger_sheets(*, towns: QuerySet[Town] | None = None) -> dict[str, list[list]]:
    """Return the ledger as rows of the import template (header first), optionally for some towns only."""
    sites = Site.objects.select_related("town", "parent").order_by("town__display_order", "town__name", "name")
    enterprises = Enterprise.objects.select_related("town", "site").order_by("town__display_order", "town__name", "name")
    events = Event.objects.all()
    if towns is not None:
        sites, enterprises = sites.filter(town__in=towns), enterprises.filter(town__in=towns)
        events = events.filter(enterprise__town__in=towns) | events.filter(site__town__in=towns)
    site_dates, enterprise_dates = {}, {}
    for site_id, enterprise_id, stage, on in events.values_list("site_id", "enterprise_id", "stage", "occurred_on"):
        if site_id:
            site_dates[site_id] = on
        else:
            enterprise_dates.setdefault(enterprise_id, {})[stage] = on
    category_names = {category: name for name, category in CATEGORY_NAMES.items()}
    disposal_names = {disposal: name for name, disposal in DISPOSAL_NAMES.items()}
    site_rows = [list(SITE_COLUMNS)] + [
        [site.name, site.town.name, site.area_mu, site.parent.name if site.parent else "", site.land_use,
         site_dates.get(site.pk)]
        for site in sites
    ]
    enterprise_rows = [list(ENTERPRISE_COLUMNS)]
    for enterprise in enterprises:
        dates = enterprise_dates.get(enterprise.pk, {})
        enterprise_rows.append([
            enterprise.name, enterprise.credit_code or "", enterprise.town.name, enterprise.site.name,
            CATEGORY_SEPARATOR.join(category_names[category] for category in enterprise.categories),
            disposal_names.get(enterprise.disposal, ""), enterprise.annual_energy_tce, enterprise.energy_freed_tce,
            *(dates.get(stage) for stage, _column in STAGE_COLUMNS),
        ])
    return {SITES_SHEET: site_rows, ENTERPRISES_SHEET: enterprise_rows}


def ledger_workbook(sheets: dict[str, list[list]]) -> bytes:
    """Write the sheets as an .xlsx workbook: numbers as numbers, dates as dates."""
    workbook = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([float(value) if isinstance(value, Decimal) else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_template() -> bytes:
    """Return an empty ledger workbook with the headers and one example row per sheet."""
    example = date(2022, 3, 1)
    return ledger_workbook({
        SITES_SHEET: [list(SITE_COLUMNS), ["示例地块", "曹桥街道", Decimal("20.43"), "六店区域", "工业用地", None]],
        ENTERPRISES_SHEET: [
            list(ENTERPRISE_COLUMNS),
            ["示例企业", "", "曹桥街道", "示例地块", "高耗低效、租赁企业", "腾退收回", Decimal("120.5"), Decimal("80"),
             example, None, None],
        ],
    })

"""Parsing a ledger: cells to typed rows of sites and enterprises, every problem named by sheet, row and column."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import Category, Stage
from ..models import Town
from ..validators import CONTROL_CHARACTERS, validate_credit_code
from .columns import (
    CATEGORY_NAMES,
    CATEGORY_SEPARATOR,
    DISPOSAL_NAMES,
    ENT_CATEGORIES,
    ENT_CODE,
    ENT_DISPOSAL,
    ENT_ENERGY_FREED,
    ENT_ENERGY_USE,
    ENT_NAME,
    ENT_SITE,
    ENT_TOWN,
    ENTERPRISES_SHEET,
    SITE_AREA,
    SITE_LAND_USE,
    SITE_NAME,
    SITE_PARENT,
    SITE_TOWN,
    SITE_VACATED,
    SITES_SHEET,
    STAGE_COLUMNS,
    TEMPLATE_EXAMPLES,
    Problem,
)
from .read import SheetRow, cell_text

class CellError(ValueError):
    """A cell's value that cannot be read; the message is the reason shown to the user."""


def _decimal(value, *, positive: bool = False) -> Decimal | None:
    text = cell_text(value)
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


# The text forms of a date DOMAIN.md accepts, with or without zero padding: 2022-08-15, 2022/8/15, 2022.8.15,
# 2022年8月15日. ASCII digits only ([0-9], not \d); full-width digits and separators are made half-width first.
TEXT_DATE = re.compile(
    r"(?P<year>[0-9]{4})(?P<separator>[-/.])(?P<month>[0-9]{1,2})(?P=separator)(?P<day>[0-9]{1,2})"
    r"|(?P<cn_year>[0-9]{4})年(?P<cn_month>[0-9]{1,2})月(?P<cn_day>[0-9]{1,2})日"
)
_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + digit): str(digit) for digit in range(10)}, "－": "-", "／": "/", "．": "."})
_SPACES = re.compile(r"\s+")


def text_date(text: str) -> date:
    """Return the date TEXT writes as YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日; raise CellError naming the forms.

    A date that does not exist (2022/2/30, 2022-13-01) is refused with its own reason.
    """
    match = TEXT_DATE.fullmatch(_SPACES.sub("", text).translate(_FULL_WIDTH))
    if match is None:
        raise CellError(_("“%(value)s” is not a date: write it as YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日.")
                        % {"value": text[:40]})
    parts = match.group("year", "month", "day") if match.group("year") else match.group("cn_year", "cn_month", "cn_day")
    year, month, day = (int(part) for part in parts)
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(_("“%(value)s” is not a day of the calendar.") % {"value": text[:40]}) from None


def _date(value) -> date | None:
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        parsed = text_date(cell_text(value))
    if parsed > timezone.localdate():
        raise CellError(_("The date cannot be in the future."))
    if parsed.year < 2000:
        raise CellError(_("The date is before 2000."))
    return parsed


def _example_cell(value) -> str:
    """Return a cell as example rows are compared: a date as YYYY-MM-DD, a number without trailing zeros, text trimmed."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = cell_text(value)
    if not text:
        return ""
    try:
        return text_date(text).isoformat()
    except CellError:
        pass
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return format(number.normalize(), "f") if number.is_finite() else text


_EXAMPLES = {sheet: {column: _example_cell(value) for column, value in row.items()} for sheet, row in TEMPLATE_EXAMPLES.items()}


def without_examples(sheets: dict[str, list[SheetRow]]) -> tuple[dict[str, list[SheetRow]], list[tuple[str, int]]]:
    """Return SHEETS without the rows that are the template's example rows, and those rows' (sheet, row)."""
    kept, skipped = {}, []
    for sheet, rows in sheets.items():
        example = _EXAMPLES.get(sheet)
        if example is None:
            kept[sheet] = rows
            continue
        name_column = next(iter(example))
        kept[sheet] = rows[:1]
        for row in rows[1:]:
            if cell_text(row.values.get(name_column)) == example[name_column] and all(
                _example_cell(row.values.get(column)) == value for column, value in example.items()
            ):
                skipped.append((sheet, row.number))
            else:
                kept[sheet].append(row)
    return kept, skipped


# Importing -------------------------------------------------------------------


@dataclass
class SiteRow:
    """A 地块 row, parsed: the spreadsheet row it came from and its typed values."""

    row: int
    town: Town
    name: str
    area: Decimal
    parent_name: str
    land_use: str
    vacated_on: date | None


@dataclass
class EnterpriseRow:
    """A 企业 row, parsed: FIELDS are the enterprise's model fields, DATES the stages dated."""

    row: int
    town: Town
    name: str
    code: str | None
    site_name: str
    fields: dict
    dates: dict[Stage, date]


class ProblemCollector:
    """The problems found so far; CELL reads a cell and records the reason it cannot be read."""

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


def check_characters(sheet: str, row: SheetRow, problems: ProblemCollector) -> None:
    """Name every cell of ROW holding control characters: PostgreSQL refuses NUL, and no workbook can hold them."""
    for column, value in row.values.items():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            problems.add(sheet, row.number, column, _("Remove the control characters (such as NUL) from this text."))


def check_header(sheet: str, rows: list[SheetRow], required: tuple[str, ...], problems: ProblemCollector) -> None:
    """Name every REQUIRED column missing from the sheet's header."""
    present = set(rows[0].values) if rows else set()
    for column in required:
        if column not in present:
            problems.add(sheet, 1, column, _("The required column %(column)s is missing.") % {"column": column})


def parse_sites(rows: list[SheetRow], towns: dict[str, Town], problems: ProblemCollector) -> list[SiteRow]:
    """Return the 地块 rows typed, one per (town, name); PROBLEMS gets each bad cell and each repeated site."""
    parsed, seen = [], {}
    for row in rows[1:]:
        check_characters(SITES_SHEET, row, problems)
        name, town_name = cell_text(row.values.get(SITE_NAME)), cell_text(row.values.get(SITE_TOWN))
        if not name:
            problems.add(SITES_SHEET, row.number, SITE_NAME, _("The name is empty."))
        town = towns.get(town_name)
        if town is None:
            problems.add(SITES_SHEET, row.number, SITE_TOWN, _("Unknown town “%(town)s”.") % {"town": town_name})
        area = problems.cell(SITES_SHEET, row, SITE_AREA, _decimal, positive=True)
        if area is None and not cell_text(row.values.get(SITE_AREA)):
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
        seen[key] = site = SiteRow(
            row.number, town, name, area, cell_text(row.values.get(SITE_PARENT)), cell_text(row.values.get(SITE_LAND_USE)),
            vacated_on,
        )
        parsed.append(site)
    return parsed


def parse_enterprises(rows: list[SheetRow], towns: dict[str, Town], problems: ProblemCollector) -> list[EnterpriseRow]:
    """Return the 企业 rows typed, one per enterprise; PROBLEMS gets each bad cell and each repeated enterprise."""
    parsed, seen = [], {}
    for row in rows[1:]:
        sheet = ENTERPRISES_SHEET
        check_characters(sheet, row, problems)
        name, town_name = cell_text(row.values.get(ENT_NAME)), cell_text(row.values.get(ENT_TOWN))
        site_name = cell_text(row.values.get(ENT_SITE))
        if not name:
            problems.add(sheet, row.number, ENT_NAME, _("The name is empty."))
        town = towns.get(town_name)
        if town is None:
            problems.add(sheet, row.number, ENT_TOWN, _("Unknown town “%(town)s”.") % {"town": town_name})
        if not site_name:
            problems.add(sheet, row.number, ENT_SITE, _("The site is empty."))
        code = cell_text(row.values.get(ENT_CODE)).upper() or None
        if code:
            try:
                validate_credit_code(code)
            except ValidationError as error:
                problems.add(sheet, row.number, ENT_CODE, error.messages[0])
        categories = {}
        for label in filter(None, (part.strip() for part in cell_text(row.values.get(ENT_CATEGORIES)).split(CATEGORY_SEPARATOR))):
            if label not in CATEGORY_NAMES:
                problems.add(sheet, row.number, ENT_CATEGORIES, _("Unknown enterprise type “%(value)s”; use %(choices)s.")
                             % {"value": label, "choices": CATEGORY_SEPARATOR.join(CATEGORY_NAMES)})
            else:
                categories[CATEGORY_NAMES[label].value] = True
        disposal_text = cell_text(row.values.get(ENT_DISPOSAL))
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
        # A town has one enterprise of a name: a row naming it again, with a code or without, is the same one.
        named = ("name", town.pk, name)
        if key in seen or named in seen:
            problems.add(sheet, row.number, ENT_CODE if key in seen and code else ENT_NAME,
                         _("The same enterprise is already on row %(row)s.") % {"row": seen.get(key) or seen[named]})
            continue
        seen[key] = seen[named] = row.number
        fields = {category.value: categories.get(category.value, False) for category in Category}
        fields.update(
            disposal=disposal or "",
            annual_energy_tce=energy_use or Decimal("0"),
            energy_freed_tce=energy_freed or Decimal("0"),
        )
        parsed.append(EnterpriseRow(row.number, town, name, code, site_name, fields, dates))
    return parsed


def sites_parents_first(sites: list[SiteRow]) -> list[SiteRow]:
    """Order rows so that each containing area is written before the parcels inside it."""
    by_key = {(site.town.pk, site.name): site for site in sites}
    ordered, placed = [], set()

    def place(site: SiteRow, chain: tuple) -> None:
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


def errors_of(error: ValidationError) -> list[tuple[str, str]]:
    """Return (field, message) pairs of a ValidationError, field '' for errors not tied to one."""
    if hasattr(error, "error_dict"):
        return [(name, message) for name, errors in error.message_dict.items() for message in errors]
    return [("", message) for message in error.messages]


SITE_FIELD_COLUMNS = {"area_mu": SITE_AREA, "parent": SITE_PARENT, "land_use": SITE_LAND_USE, "name": SITE_NAME}
ENTERPRISE_FIELD_COLUMNS = {
    "credit_code": ENT_CODE, "site": ENT_SITE, "disposal": ENT_DISPOSAL, "annual_energy_tce": ENT_ENERGY_USE,
    "energy_freed_tce": ENT_ENERGY_FREED, "name": ENT_NAME, "town": ENT_TOWN,
}


"""Parsing the 亩均数据 sheet: cells to typed rows, every problem named by sheet, row and column."""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..ledger import SheetRow, cell_text
from ..ledger.parse import CellError, ProblemCollector, check_characters
from ..models import Town
from ..rules import MAX_YEAR, MIN_YEAR
from ..validators import validate_credit_code
from .columns import CODE, EXEMPT, EXEMPT_NO, EXEMPT_YES, FIGURE_COLUMNS, NAME, SHEET, SIZE, SIZE_NAMES, TOWN, YEAR

FIGURE_PLACES = Decimal("0.000001")  # the six decimals IndicatorRow keeps
FIGURE_LIMIT = Decimal("1e14")
YEAR_TEXT = re.compile(r"([0-9]{4})(?:\.0+)?年?")


@dataclass
class IndicatorLine:
    """One row of the sheet, typed: the enterprise's key and names, the year, its size class, figures and exemption."""

    row: int
    year: int
    name: str
    code: str | None
    town: Town
    size: str
    figures: dict[str, Decimal | None]
    exempt: bool


def _figure(value) -> Decimal | None:
    """Return a figure cell as a Decimal of at most six decimals; None when empty. Negative values are allowed
    (tax refunds, a loss of value added): the scoring counts them as 0."""
    text = cell_text(value)
    if not text:
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None
    if not number.is_finite() or abs(number) >= FIGURE_LIMIT:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text[:40]})
    return number.quantize(FIGURE_PLACES, rounding=ROUND_HALF_EVEN)


def _year(value) -> int:
    text = cell_text(value)
    match = YEAR_TEXT.fullmatch(text)
    if not match or not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        raise CellError(_("The year must be a year between %(min)s and %(max)s, such as 2022.")
                        % {"min": MIN_YEAR, "max": MAX_YEAR})
    return int(match.group(1))


def _exempt(value) -> bool:
    if value is True or value is False:
        return value
    text = cell_text(value)
    if text in ("", EXEMPT_NO):
        return False
    if text == EXEMPT_YES:
        return True
    raise CellError(_("Write %(yes)s to mark the enterprise not graded, or leave the cell empty.") % {"yes": EXEMPT_YES})


def parse_lines(rows: list[SheetRow], towns: dict[str, Town], problems: ProblemCollector) -> list[IndicatorLine]:
    """Return the sheet's data rows typed; PROBLEMS gets each bad cell. Repeats are found later, by enterprise."""
    lines = []
    for row in rows[1:]:
        check_characters(SHEET, row, problems)
        year = problems.cell(SHEET, row, YEAR, _year)
        name, town_name = cell_text(row.values.get(NAME)), cell_text(row.values.get(TOWN))
        if not name:
            problems.add(SHEET, row.number, NAME, _("The name is empty."))
        elif len(name) > 100:
            problems.add(SHEET, row.number, NAME, _("The name is longer than %(limit)s characters.") % {"limit": 100})
        town = towns.get(town_name)
        if town is None:
            problems.add(SHEET, row.number, TOWN, _("Unknown town “%(town)s”.") % {"town": town_name})
        code = cell_text(row.values.get(CODE)).upper() or None
        if code:
            try:
                validate_credit_code(code)
            except ValidationError as error:
                problems.add(SHEET, row.number, CODE, error.messages[0])
                code = None
        size_text = cell_text(row.values.get(SIZE))
        size = SIZE_NAMES.get(size_text)
        if size is None:
            problems.add(SHEET, row.number, SIZE, _("The size class must be %(choices)s, not “%(value)s”.")
                         % {"choices": "、".join(SIZE_NAMES), "value": size_text[:20]})
        figures = {field: problems.cell(SHEET, row, column, _figure) for column, field in FIGURE_COLUMNS.items()}
        land = figures["land_mu"]
        if land is not None and land < 0:
            problems.add(SHEET, row.number, "用地面积(亩)", _("The land area cannot be negative."))
        exempt = problems.cell(SHEET, row, EXEMPT, _exempt)
        if year is None or not name or town is None or size is None or len(name) > 100:
            continue
        lines.append(IndicatorLine(row.number, year, name, code, town, size, figures, bool(exempt)))
    return lines

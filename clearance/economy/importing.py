"""Importing the 经济数据 sheet: read with the ledger's guards, parse every row, write through the service; all or nothing."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..ledger import LedgerError, SheetRow, cell_text, read_sheet
from ..ledger.parse import CellError, ProblemCollector, check_characters, check_header, errors_of
from ..rules import MAX_YEAR, MIN_YEAR
from ..services.economy import economy_figure_upsert
from .columns import COLUMN_OF_FIELD, COLUMNS, FIGURE_COLUMNS, MONTH, REGION, REGION_NAMES, SHEET, YEAR

WHOLE = re.compile(r"([0-9]{1,4})(?:\.0+)?")
COMMAND = "import_economy"


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or bad rows)."""


@dataclass
class EconomyLine:
    """One row of the sheet, typed: the region, year and month, and the figures given (an empty cell is left out)."""

    row: int
    region: str
    year: int
    month: int
    figures: dict


@dataclass
class EconomyReport:
    """What an import of economy figures created, changed and left alone."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        return [_("Economy figures: %(created)s months created, %(changed)s changed, %(unchanged)s unchanged")
                % {"created": self.created, "changed": self.changed, "unchanged": self.unchanged}]


def _whole(value, *, low: int, high: int, suffix: str = "") -> int:
    text = cell_text(value).removesuffix(suffix)
    match = WHOLE.fullmatch(text)
    if match is None or not low <= int(match.group(1)) <= high:
        raise CellError(_("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(match.group(1))


def _number(value, *, whole: bool = False) -> Decimal | int | None:
    """Return a figure cell as a Decimal of at most two decimals (an int for WHOLE); None when empty."""
    text = cell_text(value).replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise CellError(_("“%(value)s” is not a number.") % {"value": text[:40]})
    if whole:
        if number != number.to_integral_value() or number < 0:
            raise CellError(_("Give a whole number of people, 0 or more."))
        return int(number)
    if number != number.quantize(Decimal("0.01")):
        raise CellError(_("Give at most two decimals."))
    return number


def parse_lines(rows: list[SheetRow], problems: ProblemCollector) -> list[EconomyLine]:
    """Return the sheet's data rows typed, one per (region, year, month); PROBLEMS gets each bad cell and repeat."""
    lines, seen = [], {}
    for row in rows[1:]:
        check_characters(SHEET, row, problems)
        region_text = cell_text(row.values.get(REGION))
        region = REGION_NAMES.get(region_text)
        if region is None:
            problems.add(SHEET, row.number, REGION, _("The region must be %(choices)s, not “%(value)s”.")
                         % {"choices": "、".join(("平湖", "嘉兴")), "value": region_text[:20]})
        year = problems.cell(SHEET, row, YEAR, _whole, low=MIN_YEAR, high=MAX_YEAR, suffix="年")
        month = problems.cell(SHEET, row, MONTH, _whole, low=1, high=12, suffix="月")
        figures = {}
        for column, field in FIGURE_COLUMNS.items():
            value = problems.cell(SHEET, row, column, _number, whole=field == "employment")
            if value is not None:
                figures[field] = value
        if region is None or year is None or month is None:
            continue
        key = (region, year, month)
        if key in seen:
            problems.add(SHEET, row.number, MONTH,
                         _("The same region and month is already on row %(row)s.") % {"row": seen[key]})
            continue
        seen[key] = row.number
        lines.append(EconomyLine(row.number, region.value, year, month, figures))
    return lines


def economy_import(*, path: Path | None = None, rows: list[SheetRow] | None = None, user=None, dry_run: bool = False,
                   max_rows: int | None = None) -> EconomyReport:
    """Import the 经济数据 sheet of PATH (an .xlsx, or a .csv), all or nothing; raise LedgerError naming every bad row.

    A row is keyed by (地区, 年, 月); an empty figure cell leaves the stored figure as it is. Re-importing the same
    file changes nothing; a changed figure is updated in place and kept in the history, attributed to USER.
    MAX_ROWS bounds the sheet read from PATH (None: no limit, as for the command).
    """
    if rows is None:
        rows = read_sheet(path, SHEET, max_rows=max_rows, command=COMMAND)
    problems = ProblemCollector()
    check_header(SHEET, rows, COLUMNS, problems)
    if problems.problems:
        raise LedgerError(problems.problems)
    lines = parse_lines(rows, problems)
    report = EconomyReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            for line in lines:
                _write(line, user, problems, report)
            if problems.problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if problems.problems:
        raise LedgerError(sorted(problems.problems, key=lambda problem: problem.row or 0))
    return report


def _write(line: EconomyLine, user, problems: ProblemCollector, report: EconomyReport) -> None:
    try:
        with transaction.atomic():
            outcome = economy_figure_upsert(region=line.region, year=line.year, month=line.month, user=user,
                                            **line.figures)
    except ValidationError as error:
        for field, message in errors_of(error):
            problems.add(SHEET, line.row, COLUMN_OF_FIELD.get(field, ""), message)
        return
    if outcome.created:
        report.created += 1
    elif outcome.changed:
        report.changed += 1
    else:
        report.unchanged += 1

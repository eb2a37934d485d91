"""Jiaxing's bulletin figures read from a sheet (import_bulletin)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import Metric
from ..models import County
from ..services import bulletin_figure_set
from ..services.base import User
from .columns import LedgerError, Problem


BULLETIN_COUNTY, BULLETIN_YEAR, BULLETIN_MONTH, BULLETIN_METRIC, BULLETIN_ACTUAL, BULLETIN_TARGET = (
    "县(市、区)", "年", "月", "指标", "完成数", "目标",
)
BULLETIN_COLUMNS = (BULLETIN_COUNTY, BULLETIN_YEAR, BULLETIN_MONTH, BULLETIN_METRIC, BULLETIN_ACTUAL, BULLETIN_TARGET)
BULLETIN_REQUIRED = BULLETIN_COLUMNS[:5]
# Jiaxing's bulletins name the metrics in Chinese whatever the UI language; the keys are accepted too.
BULLETIN_METRIC_NAMES = {
    "高耗低效企业整治销号": Metric.ENTERPRISES_RECTIFIED,
    "腾退低效用地": Metric.LAND_VACATED_MU,
    "腾出用能": Metric.ENERGY_FREED_TCE,
    **{metric.value: metric for metric in Metric},
}


def _bulletin_cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _bulletin_number(text: str, *, required: bool) -> Decimal | None:
    if not text:
        if required:
            raise ValueError(_("The figure is empty."))
        return None
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text[:40]})
    if number < 0:
        raise ValueError(_("The number cannot be negative."))
    return number


def _bulletin_whole(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(_("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(text)


@transaction.atomic
def bulletin_import(*, rows: list[tuple[int, dict]], sheet: str, user: User | None = None) -> tuple[int, int, int]:
    """Record the bulletin figures of ROWS (spreadsheet row number, {column: value}), all or nothing.

    Columns as BULLETIN_COLUMNS; the first row is the header (row 1). Raise
    LedgerError naming every bad row with nothing written; return
    (created, changed, unchanged).
    """
    problems: list[Problem] = []
    header = set(rows[0][1]) if rows else set()
    for column in BULLETIN_REQUIRED:
        if column not in header:
            problems.append(Problem(sheet, 1, column, _("The required column %(column)s is missing.") % {"column": column}))
    if problems:
        raise LedgerError(problems)
    counties = {county.name: county for county in County.objects.all()}
    parsed, seen = [], {}
    for number, values in rows[1:]:
        text = {column: _bulletin_cell_text(values.get(column)) for column in BULLETIN_COLUMNS}
        row_problems = []
        county = counties.get(text[BULLETIN_COUNTY])
        if county is None:
            row_problems.append((BULLETIN_COUNTY, _("Unknown county “%(county)s”.") % {"county": text[BULLETIN_COUNTY]}))
        metric = BULLETIN_METRIC_NAMES.get(text[BULLETIN_METRIC])
        if metric is None:
            row_problems.append((BULLETIN_METRIC, _("Unknown metric “%(value)s”; use %(choices)s.")
                                 % {"value": text[BULLETIN_METRIC], "choices": "、".join(list(BULLETIN_METRIC_NAMES)[:3])}))
        figures = {}
        for column, read in (
            (BULLETIN_YEAR, lambda value: _bulletin_whole(value, 2000, 2100)),
            (BULLETIN_MONTH, lambda value: _bulletin_whole(value, 1, 12)),
            (BULLETIN_ACTUAL, lambda value: _bulletin_number(value, required=True)),
            (BULLETIN_TARGET, lambda value: _bulletin_number(value, required=False)),
        ):
            try:
                figures[column] = read(text[column])
            except ValueError as error:
                row_problems.append((column, str(error)))
        if not row_problems:
            key = (county.pk, figures[BULLETIN_YEAR], figures[BULLETIN_MONTH], metric)
            if key in seen:
                row_problems.append((BULLETIN_METRIC, _("The same figure is already on row %(row)s.") % {"row": seen[key]}))
            seen[key] = number
        if row_problems:
            problems.extend(Problem(sheet, number, column, reason) for column, reason in row_problems)
        else:
            parsed.append((number, county, metric, figures))
    if problems:
        raise LedgerError(problems)
    created = changed = unchanged = 0
    for number, county, metric, figures in parsed:
        try:
            outcome = bulletin_figure_set(
                county=county, year=figures[BULLETIN_YEAR], month=figures[BULLETIN_MONTH], metric=metric,
                actual=figures[BULLETIN_ACTUAL], target=figures[BULLETIN_TARGET], user=user,
            )
        except ValidationError as error:
            problems.extend(Problem(sheet, number, "", message) for message in error.messages)
            continue
        if outcome.created:
            created += 1
        elif outcome.changed:
            changed += 1
        else:
            unchanged += 1
    if problems:
        # Raising out of this atomic block undoes the figures already written.
        raise LedgerError(problems)
    return created, changed, unchanged

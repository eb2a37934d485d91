"""The campaign's figures for a period, summed by the database from the monthly rollup; the one definition of them."""

import calendar
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from ..choices import Metric, Stage
from ..models import Event, MonthlyFigure, Site, Target, Town
from .compiled import aggregated, compiled_read
from .periods import distinct_years, last_complete_month, latest_closed_period


ZERO = Decimal("0.00")
CENT = Decimal("0.01")
FIGURE_KEYS = (*Metric.values, "signed", "vacated")
DECIMAL_METRICS = frozenset({Metric.LAND_VACATED_MU.value, Metric.ENERGY_FREED_TCE.value})


def period_bounds(*, year: int, month: int) -> tuple[date, date]:
    """Return the first and last day of the period: 1 January to the end of MONTH in YEAR."""
    return date(year, 1, 1), date(year, month, calendar.monthrange(year, month)[1])


def _enterprise_stage(stage: Stage) -> Q:
    return Q(enterprise__isnull=False, stage=stage)


def figure_aggregates() -> dict:
    """Aggregates over events giving every figure of DOMAIN.md for the events in the queryset.

    The one definition of the figures: the monthly rollup (clearance.derived.rollup) is
    computed with it, and `verify_rollups` checks the rollup against it.
    """
    decimal = DecimalField(max_digits=16, decimal_places=2)
    return {
        Metric.ENTERPRISES_RECTIFIED.value: Count("pk", filter=_enterprise_stage(Stage.CLOSED)),
        # Only sites without children count, so an area and a parcel inside it are not both counted.
        Metric.LAND_VACATED_MU.value: Coalesce(
            Sum("site__area_mu", filter=Q(site__isnull=False, site_is_leaf=True)), Value(ZERO), output_field=decimal
        ),
        Metric.ENERGY_FREED_TCE.value: Coalesce(
            Sum("enterprise__energy_freed_tce", filter=_enterprise_stage(Stage.CLOSED)),
            Value(ZERO),
            output_field=decimal,
        ),
        "signed": Count("pk", filter=_enterprise_stage(Stage.SIGNED)),
        "vacated": Count("pk", filter=_enterprise_stage(Stage.VACATED)),
    }


def events_with_leaf_flag() -> QuerySet[Event]:
    """Return the events annotated with `site_is_leaf`, as figure_aggregates needs."""
    has_children = Site.objects.filter(parent_id=OuterRef("site_id"))
    return Event.objects.annotate(site_is_leaf=~Exists(has_children))


def _rollup_sums() -> dict:
    """Sums of the monthly rollup rows giving every figure (see clearance.derived.rollup)."""
    return {key: Coalesce(Sum(key), Value(ZERO if key in DECIMAL_METRICS else 0)) for key in FIGURE_KEYS}


def _rollup_of_period(*, year: int, month: int) -> QuerySet[MonthlyFigure]:
    return MonthlyFigure.objects.filter(year=year, month__lte=month)


@compiled_read(MonthlyFigure)
def _city_sums(*, year: int, month: int) -> QuerySet[MonthlyFigure]:
    return aggregated(_rollup_of_period(year=year, month=month), **_rollup_sums())


def city_figures(*, year: int, month: int) -> dict[str, Decimal | int]:
    """Return the city's figures for the period ending with MONTH of YEAR (one query over the monthly rollup)."""
    return to_cents(_city_sums(year=year, month=month)[0])


@compiled_read(Town)
def town_names() -> QuerySet[Town]:
    """(pk, name) of every town, in display order (one query)."""
    return Town.objects.values_list("pk", "name")


@compiled_read(Town)
def towns_in_order() -> QuerySet[Town]:
    """Every town, in display order (one query)."""
    return Town.objects.order_by("display_order", "name")


@compiled_read(MonthlyFigure)
def _town_sums(*, year: int, month: int) -> QuerySet[MonthlyFigure]:
    return _rollup_of_period(year=year, month=month).order_by().values("town_id").annotate(**_rollup_sums())


def town_figures(*, year: int, month: int) -> dict[int, dict[str, Decimal | int]]:
    """Return each town's figures for the period, keyed by town id; towns without events are absent (one query)."""
    return {row.pop("town_id"): to_cents(row) for row in _town_sums(year=year, month=month)}


@compiled_read(MonthlyFigure)
def _town_sums_and_month_before(*, year: int, month: int) -> QuerySet[MonthlyFigure]:
    before = Q(month__lt=month)
    # Before _rollup_sums: its aggregates take the fields' names, and these must sum the fields.
    earlier = {f"before_{key}": Coalesce(Sum(key, filter=before), Value(ZERO if key in DECIMAL_METRICS else 0))
               for key in FIGURE_KEYS}
    return _rollup_of_period(year=year, month=month).order_by().values("town_id").annotate(**earlier, **_rollup_sums())


def town_figures_and_month_before(*, year: int, month: int) -> tuple[dict, dict]:
    """Return town_figures of the period ending with MONTH and of the one ending the month before (empty in
    January), in one query: the same sums, the second over the rollup's months before MONTH."""
    rows = _town_sums_and_month_before(year=year, month=month)
    now, then = {}, {}
    for row in rows:
        town_id = row.pop("town_id")
        now[town_id] = to_cents({key: row[key] for key in FIGURE_KEYS})
        if month > 1:
            then[town_id] = to_cents({key: row[f"before_{key}"] for key in FIGURE_KEYS})
    return now, then


def to_cents(figures: dict) -> dict:
    """Round sums of areas and energy to 0.01: SQLite sums decimals as floats."""
    return {key: value.quantize(CENT) if isinstance(value, Decimal) else value for key, value in figures.items()}


def empty_figures() -> dict[str, Decimal | int]:
    """Return the figures of a scope with no events."""
    return {key: (ZERO if key in (Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE) else 0) for key in FIGURE_KEYS}


@compiled_read(Event)
def _latest_event_date() -> QuerySet[Event]:
    return Event.objects.order_by("-occurred_on").values_list("occurred_on", flat=True)[:1]


def latest_period() -> tuple[int, int] | None:
    """Return (year, month) of the latest dated event, or None when nothing is recorded yet."""
    last = next(iter(_latest_event_date()), None)
    return (last.year, last.month) if last else None


def default_period() -> tuple[int, int]:
    """Return the default (year, month) of every page and of /api/summary/: the latest closed month (通报期).

    Where no month is closed, the last complete calendar month before today.
    Recording an event never moves it (one query).
    """
    latest = latest_closed_period()
    if latest is not None:
        return latest.year, latest.month
    return last_complete_month()


@compiled_read(MonthlyFigure)
def _monthly_sums(*, year: int, month: int, town_id: int | None) -> QuerySet[MonthlyFigure]:
    rows = _rollup_of_period(year=year, month=month)
    if town_id is not None:
        rows = rows.filter(town_id=town_id)
    return rows.order_by().values("month").annotate(**_rollup_sums())


def monthly_trend(*, year: int, month: int, town: Town | None = None) -> list[dict]:
    """Return, for each month 1…MONTH of YEAR, the cumulative figures to the end of that month (one query).

    With TOWN, only that town's events count.
    """
    sums = _monthly_sums(year=year, month=month, town_id=None if town is None else town.pk)
    by_month = {row.pop("month"): to_cents(row) for row in sums}
    running = empty_figures()
    trend = []
    for each_month in range(1, month + 1):
        for key, value in by_month.get(each_month, {}).items():
            running[key] += value
        trend.append({"month": each_month, **running})
    return trend


def campaign_years() -> list[int]:
    """Return the years that have a target or a figure, oldest first (one query: an index probe per year and table)."""
    return distinct_years(Target, MonthlyFigure)

"""Reads that aggregate: the campaign's figures, computed by the database from dated events."""

import calendar
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .choices import Metric, Stage
from .models import Event, Site

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
FIGURE_KEYS = (*Metric.values, "signed", "vacated")


def period_bounds(*, year: int, month: int) -> tuple[date, date]:
    """Return the first and last day of the period: 1 January to the end of MONTH in YEAR."""
    return date(year, 1, 1), date(year, month, calendar.monthrange(year, month)[1])


def _enterprise_stage(stage: Stage) -> Q:
    return Q(enterprise__isnull=False, stage=stage)


def _figure_aggregates() -> dict:
    """Aggregates over events giving every figure of DOMAIN.md for the events in the queryset."""
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


def events_between(start: date, end: date) -> QuerySet[Event]:
    """Return the events dated START…END (inclusive), annotated for the figure aggregates."""
    has_children = Site.objects.filter(parent_id=OuterRef("site_id"))
    return Event.objects.filter(occurred_on__gte=start, occurred_on__lte=end).annotate(
        site_is_leaf=~Exists(has_children)
    )


def city_figures(*, year: int, month: int) -> dict[str, Decimal | int]:
    """Return the city's figures for the period ending with MONTH of YEAR (one query)."""
    start, end = period_bounds(year=year, month=month)
    return _to_cents(events_between(start, end).aggregate(**_figure_aggregates()))


def town_figures(*, year: int, month: int) -> dict[int, dict[str, Decimal | int]]:
    """Return each town's figures for the period, keyed by town id; towns without events are absent (one query)."""
    start, end = period_bounds(year=year, month=month)
    rows = (
        events_between(start, end)
        .annotate(event_town=Coalesce("enterprise__town_id", "site__town_id"))
        .order_by()
        .values("event_town")
        .annotate(**_figure_aggregates())
    )
    return {row.pop("event_town"): _to_cents(row) for row in rows}


def _to_cents(figures: dict) -> dict:
    """Round sums of areas and energy to 0.01: SQLite sums decimals as floats."""
    return {key: value.quantize(CENT) if isinstance(value, Decimal) else value for key, value in figures.items()}


def empty_figures() -> dict[str, Decimal | int]:
    """Return the figures of a scope with no events."""
    return {key: (ZERO if key in (Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE) else 0) for key in FIGURE_KEYS}


def latest_period() -> tuple[int, int] | None:
    """Return (year, month) of the latest dated event, or None when nothing is recorded yet."""
    last = Event.objects.order_by("-occurred_on").values_list("occurred_on", flat=True).first()
    return (last.year, last.month) if last else None

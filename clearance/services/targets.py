"""Yearly targets (the city's and the towns' allocations) and Jiaxing's bulletin figures."""

from decimal import Decimal

from django.db import transaction

from ..choices import Metric
from ..models import BulletinFigure, County, Target, Town
from .base import Upsert, User, upsert_row
from .edits import row_create, row_delete, row_update


@transaction.atomic
def target_set(*, year: int, metric: Metric, value: Decimal, town: Town | None = None, user: User | None = None) -> Upsert:
    """Set the yearly target for METRIC: the city's when TOWN is None, else the town's allocation."""
    return upsert_row(
        Target, key={"year": year, "metric": metric, "town": town}, fields={"value": Decimal(str(value))}, user=user
    )


@transaction.atomic
def bulletin_figure_set(
    *, county: County, year: int, month: int, metric: Metric, actual: Decimal, target: Decimal | None,
    user: User | None = None,
) -> Upsert:
    """Record one county's published figure for METRIC in a month of Jiaxing's bulletin."""
    fields = {"actual": Decimal(str(actual)), "target": None if target is None else Decimal(str(target))}
    return upsert_row(
        BulletinFigure, key={"county": county, "year": year, "month": month, "metric": metric}, fields=fields, user=user
    )


@transaction.atomic
def targets_copy_year(*, from_year: int, to_year: int | None = None, user: User | None = None) -> tuple[int, int]:
    """Copy the towns' allocations of FROM_YEAR to TO_YEAR (the next year by default) as a starting point.

    Targets already set in TO_YEAR are kept; the city's target (Jiaxing's) is
    not copied. Return (created, kept).
    """
    to_year = from_year + 1 if to_year is None else to_year
    existing = set(Target.objects.filter(year=to_year, town__isnull=False).values_list("metric", "town_id"))
    created = kept = 0
    for target in Target.objects.filter(year=from_year, town__isnull=False).select_related("town").order_by("pk"):
        if (target.metric, target.town_id) in existing:
            kept += 1
            continue
        target_set(year=to_year, metric=target.metric, value=target.value, town=target.town, user=user)
        created += 1
    return created, kept


@transaction.atomic
def target_create(
    *, year: int, metric: Metric, value: Decimal, town: Town | None = None, user: User | None
) -> Target:
    """Create the target of METRIC for YEAR (the city's when TOWN is None); refuse one already set."""
    fields = {"year": year, "metric": metric, "town": town, "value": value}
    return row_create(Target, fields=fields, user=user)


@transaction.atomic
def target_update(*, target: Target, user: User | None, **fields) -> Target:
    """Change FIELDS (year, metric, town, value) of TARGET."""
    return row_update(target, fields=fields, user=user)


@transaction.atomic
def target_delete(*, target: Target, user: User | None) -> None:
    """Delete TARGET: its metric has no target there any more (no light, no rank)."""
    row_delete(target, user=user)


@transaction.atomic
def bulletin_figure_create(
    *, county: County, year: int, month: int, metric: Metric, actual: Decimal, target: Decimal | None = None,
    user: User | None,
) -> BulletinFigure:
    """Create one county's published figure; refuse one already recorded for that month and metric."""
    fields = {"county": county, "year": year, "month": month, "metric": metric, "actual": actual, "target": target}
    return row_create(BulletinFigure, fields=fields, user=user)


@transaction.atomic
def bulletin_figure_update(*, figure: BulletinFigure, user: User | None, **fields) -> BulletinFigure:
    """Change FIELDS (county, year, month, metric, actual, target) of FIGURE."""
    return row_update(figure, fields=fields, user=user)


@transaction.atomic
def bulletin_figure_delete(*, figure: BulletinFigure, user: User | None) -> None:
    """Delete FIGURE."""
    row_delete(figure, user=user)

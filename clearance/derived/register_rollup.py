"""The register's rollups: per town, month and kind (RegisterMonthlyFigure) and per town, year and kind
(RegisterYearlyFigure), the items raised and resolved.

Why: the dashboard, the bulletin and a town's page count the register's items of a period and those open at its end;
counting the items is a scan of a province's tens of thousands (17 ms at a million enterprises, and growing), summing
at most a row per town, month and kind is not. The items open at a period's end sum the earlier years' rows and the
period's year's months (RegisterYearlyFigure), a few hundred rows rather than every month of every year.

How it stays exact: the figures are counts of a town's items by the month of raised_on and of resolved_on. The
services (services.register) call refresh() for the item's town after every create, change, resolution and delete, in
the same transaction: it locks the town's row, so two writers of one town's items take turns, and recomputes that
town's rows, monthly and yearly, from its items. Bulk writers (generate_scale) call it for the towns they wrote.
differences() recomputes both from the items; `verify_rollups` reports and repairs.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear

from ..models import RegisterItem, RegisterMonthlyFigure, RegisterYearlyFigure, Town
from .compare import differing
from .locks import lock_rows

Bucket = tuple[int, int, int, str]  # (town id, year, month, kind)
YearBucket = tuple[int, int, str]  # (town id, year, kind)
NOTHING = {"raised": 0, "resolved": 0}


def _counted(town_ids: Iterable[int] | None, *, by_month: bool) -> dict[tuple, dict[str, int]]:
    """The items of TOWN_IDS (every town when None) counted by the month (or year) raised and the month (or year)
    resolved, per town and kind: two queries."""
    items = RegisterItem.objects.order_by()
    if town_ids is not None:
        items = items.filter(town_id__in=list(town_ids))
    figures: dict[tuple, dict[str, int]] = {}
    for name, day, only in (("raised", "raised_on", Q()), ("resolved", "resolved_on", Q(resolved_on__isnull=False))):
        buckets = {"bucket_year": ExtractYear(day)}
        if by_month:
            buckets["bucket_month"] = ExtractMonth(day)
        rows = items.filter(only).annotate(**buckets).values("town_id", *buckets, "kind").annotate(n=Count("pk"))
        for row in rows:
            bucket = (row["town_id"], row["bucket_year"], *((row["bucket_month"],) if by_month else ()), row["kind"])
            figures.setdefault(bucket, dict(NOTHING))[name] = row["n"]
    return figures


def computed(town_ids: Iterable[int] | None = None) -> dict[Bucket, dict[str, int]]:
    """The items of TOWN_IDS (every town when None) counted by the month raised and the month resolved."""
    return _counted(town_ids, by_month=True)


def computed_years(town_ids: Iterable[int] | None = None) -> dict[YearBucket, dict[str, int]]:
    """The same counts by the year raised and the year resolved."""
    return _counted(town_ids, by_month=False)


def _write(town_ids: list[int] | None) -> None:
    """Delete the rows of TOWN_IDS (all when None) and write them again from the items."""
    monthly, yearly = RegisterMonthlyFigure.objects.all(), RegisterYearlyFigure.objects.all()
    if town_ids is not None:
        monthly, yearly = monthly.filter(town_id__in=town_ids), yearly.filter(town_id__in=town_ids)
    monthly.delete()
    yearly.delete()
    RegisterMonthlyFigure.objects.bulk_create(
        [RegisterMonthlyFigure(town_id=town, year=year, month=month, kind=kind, **counts)
         for (town, year, month, kind), counts in computed(town_ids).items()],
        batch_size=2000,
    )
    RegisterYearlyFigure.objects.bulk_create(
        [RegisterYearlyFigure(town_id=town, year=year, kind=kind, **counts)
         for (town, year, kind), counts in computed_years(town_ids).items()],
        batch_size=2000,
    )


@transaction.atomic
def refresh(town_ids: Iterable[int]) -> None:
    """Recompute the rows of TOWN_IDS from their items, in the caller's transaction."""
    towns = sorted({town for town in town_ids if town is not None})
    if not towns:
        return
    # A second writer of the same town's items waits, then counts after this one.
    lock_rows(Town, towns)
    _write(towns)


@transaction.atomic
def rebuild() -> None:
    """Recompute every town's rows (verify_rollups --repair)."""
    _write(None)


def differences() -> list[dict]:
    """Compare both rollups with a count of every item; one entry per differing figure (month None: a year's row)."""
    months = {(row.town_id, row.year, row.month, row.kind): {"raised": row.raised, "resolved": row.resolved}
              for row in RegisterMonthlyFigure.objects.all()}
    years = {(row.town_id, row.year, row.kind): {"raised": row.raised, "resolved": row.resolved}
             for row in RegisterYearlyFigure.objects.all()}
    counts = {"keys": ("raised", "resolved"), "empty": NOTHING, "source": "items"}
    return [
        *differing(computed(), months, names=("town_id", "year", "month", "kind"), **counts),
        *differing(computed_years(), years, names=("town_id", "year", "kind"), **counts),
    ]

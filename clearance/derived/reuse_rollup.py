"""The reuse rollups: each town's reuse figures per calendar month (ReuseMonthlyFigure) and per year
(ReuseYearlyFigure).

Why: as with the clearance figures, a period's figures are sums of at most twelve rows per town, and the
land awaiting reuse sums the land reused up to the period, the earlier years' rows and the period's year's
months, so the dashboard's cost does not grow with the projects or the years. How it stays exact: a
project write (its events, its land, its committed investment) is rare, so the services recompute both
rollups' rows of the project's town from its project events, in the write's transaction, with the town's
row locked so two writers take turns. `differences()` recomputes everything and lists any disagreement;
`manage.py verify_rollups` reports it.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from ..models import Project, ProjectEvent, ProjectSite, ReuseMonthlyFigure, ReuseYearlyFigure, Town
from ..selectors.reuse import ROLLUP_KEYS, reuse_aggregates
from .compare import differing
from .locks import lock_rows

Bucket = tuple[int, int, int]  # (town id, year, month)
YearBucket = tuple[int, int]  # (town id, year)


def _counted(town_ids: Iterable[int] | None, *, by_month: bool) -> dict[tuple, dict]:
    events = ProjectEvent.objects.order_by()
    if town_ids is not None:
        events = events.filter(project__town_id__in=list(town_ids))
    buckets = {"bucket_year": ExtractYear("occurred_on")}
    if by_month:
        buckets["bucket_month"] = ExtractMonth("occurred_on")
    rows = events.annotate(**buckets).values("project__town_id", *buckets).annotate(**reuse_aggregates())
    found = {}
    for row in rows:
        bucket = (row.pop("project__town_id"), *(row.pop(name) for name in buckets))
        figures = {key: _exact(key, row[key]) for key in ROLLUP_KEYS}
        if any(figures.values()):
            found[bucket] = figures
    return found


def contributions(town_ids: Iterable[int] | None = None) -> dict[Bucket, dict]:
    """Return the reuse figures of the project events of TOWN_IDS (all when None) per (town, year, month)."""
    return _counted(town_ids, by_month=True)


def year_contributions(town_ids: Iterable[int] | None = None) -> dict[YearBucket, dict]:
    """The same per (town, year)."""
    return _counted(town_ids, by_month=False)


def _exact(key: str, value):
    if key == "projects_signed":
        return int(value or 0)
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def refresh(town_ids: Iterable[int | None]) -> None:
    """Recompute both rollups' rows of TOWN_IDS from their project events; call it inside the write's transaction."""
    ids = sorted({pk for pk in town_ids if pk is not None})
    if not ids:
        return
    lock_rows(Town, ids)
    ReuseMonthlyFigure.objects.filter(town_id__in=ids).delete()
    ReuseYearlyFigure.objects.filter(town_id__in=ids).delete()
    ReuseMonthlyFigure.objects.bulk_create(
        [ReuseMonthlyFigure(town_id=town, year=year, month=month, **figures)
         for (town, year, month), figures in sorted(contributions(ids).items())]
    )
    ReuseYearlyFigure.objects.bulk_create(
        [ReuseYearlyFigure(town_id=town, year=year, **figures)
         for (town, year), figures in sorted(year_contributions(ids).items())]
    )


def rebuild() -> None:
    """Recompute every town's rollup rows (bulk writers: generate_scale)."""
    refresh(Town.objects.values_list("pk", flat=True))


def _stored(rows, size: int) -> dict[tuple, dict]:
    found = {}
    for row in rows:
        bucket = tuple(row[:size])
        figures = {key: _exact(key, value) for key, value in zip(ROLLUP_KEYS, row[size:])}
        if any(figures.values()):
            found[bucket] = figures
    return found


def differences() -> list[dict]:
    """Compare both rollups with a recomputation from every project event; one entry per differing figure (month
    None: a year's row)."""
    months = _stored(ReuseMonthlyFigure.objects.values_list("town_id", "year", "month", *ROLLUP_KEYS), 3)
    years = _stored(ReuseYearlyFigure.objects.values_list("town_id", "year", *ROLLUP_KEYS), 2)
    figures = {"keys": ROLLUP_KEYS, "empty": {}, "source": "events"}
    return [
        *differing(contributions(), months, names=("town_id", "year", "month"), **figures),
        *differing(year_contributions(), years, names=("town_id", "year"), **figures),
    ]


def allocated_land():
    """The land of each project by its definition: the sum of the areas it takes from each site."""
    taken = (ProjectSite.objects.filter(project_id=OuterRef("pk")).order_by().values("project_id")
             .annotate(total=Sum("area_mu")).values("total"))
    return Coalesce(Subquery(taken), Value(Decimal("0")), output_field=DecimalField(max_digits=12, decimal_places=2))


def land_differences() -> list[tuple[int, Decimal, Decimal]]:
    """Projects whose stored land differs from the areas they take: (project id, stored, by the allocations)."""
    rows = Project.objects.annotate(allocated=allocated_land()).values_list("pk", "land_mu", "allocated")
    return [(pk, stored, _exact("land", allocated)) for pk, stored, allocated in rows
            if stored != _exact("land", allocated)]


def land_repair() -> None:
    Project.objects.update(land_mu=allocated_land())

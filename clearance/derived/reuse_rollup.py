"""The monthly reuse rollup (ReuseMonthlyFigure): each town's reuse figures per calendar month.

Why: as with the clearance figures, a period's figures are sums of at most twelve rows per town, and the
land awaiting reuse sums every month up to the period, so the dashboard's cost does not grow with the
projects or the years. How it stays exact: a project write (its events, its land, its committed
investment) is rare, so the services recompute the rollup rows of the project's town from its project
events, in the write's transaction, with the town's row locked so two writers take turns.
`differences()` recomputes everything and lists any disagreement; `manage.py verify_rollups` reports it.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from ..models import Project, ProjectEvent, ProjectSite, ReuseMonthlyFigure, Town
from ..selectors.reuse import ROLLUP_KEYS, reuse_aggregates
from .locks import lock_rows

Bucket = tuple[int, int, int]  # (town id, year, month)


def contributions(town_ids: Iterable[int] | None = None) -> dict[Bucket, dict]:
    """Return the reuse figures of the project events of TOWN_IDS (all when None) per (town, year, month)."""
    events = ProjectEvent.objects.order_by()
    if town_ids is not None:
        events = events.filter(project__town_id__in=list(town_ids))
    rows = (
        events.annotate(bucket_year=ExtractYear("occurred_on"), bucket_month=ExtractMonth("occurred_on"))
        .values("project__town_id", "bucket_year", "bucket_month")
        .annotate(**reuse_aggregates())
    )
    found = {}
    for row in rows:
        bucket = (row.pop("project__town_id"), row.pop("bucket_year"), row.pop("bucket_month"))
        figures = {key: _exact(key, row[key]) for key in ROLLUP_KEYS}
        if any(figures.values()):
            found[bucket] = figures
    return found


def _exact(key: str, value):
    if key == "projects_signed":
        return int(value or 0)
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def refresh(town_ids: Iterable[int | None]) -> None:
    """Recompute the rollup rows of TOWN_IDS from their project events; call it inside the write's transaction."""
    ids = sorted({pk for pk in town_ids if pk is not None})
    if not ids:
        return
    lock_rows(Town, ids)
    ReuseMonthlyFigure.objects.filter(town_id__in=ids).delete()
    ReuseMonthlyFigure.objects.bulk_create(
        [ReuseMonthlyFigure(town_id=town, year=year, month=month, **figures)
         for (town, year, month), figures in sorted(contributions(ids).items())]
    )


def rebuild() -> None:
    """Recompute every town's rollup rows (bulk writers: generate_scale)."""
    refresh(Town.objects.values_list("pk", flat=True))


def differences() -> list[dict]:
    """Compare the rollup with a recomputation from every project event; one entry per differing figure."""
    expected = contributions()
    actual = {}
    for row in ReuseMonthlyFigure.objects.values("town_id", "year", "month", *ROLLUP_KEYS):
        bucket = (row.pop("town_id"), row.pop("year"), row.pop("month"))
        figures = {key: _exact(key, row[key]) for key in ROLLUP_KEYS}
        if any(figures.values()):
            actual[bucket] = figures
    found = []
    for bucket in sorted(expected.keys() | actual.keys()):
        want, have = expected.get(bucket, {}), actual.get(bucket, {})
        for key in ROLLUP_KEYS:
            if want.get(key, 0) != have.get(key, 0):
                town, year, month = bucket
                found.append({"town_id": town, "year": year, "month": month, "figure": key,
                              "rollup": have.get(key, 0), "events": want.get(key, 0)})
    return found


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

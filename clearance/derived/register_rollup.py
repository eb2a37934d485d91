"""The register's monthly rollup (RegisterMonthlyFigure): per town, month and kind, the items raised and resolved.

Why: the dashboard, the bulletin and a town's page count the register's items of a period and those open at its end;
counting the items is a scan of a province's tens of thousands (17 ms at a million enterprises, and growing), summing
at most a row per town, month and kind is not.

How it stays exact: the figures are counts of a town's items by the month of raised_on and of resolved_on. The
services (services.register) call refresh() for the item's town after every create, change, resolution and delete, in
the same transaction: it locks the town's row, so two writers of one town's items take turns, and recomputes that
town's rows from its items. Bulk writers (generate_scale) call it for the towns they wrote. differences() recomputes
everything; `verify_rollups` reports and repairs.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear

from ..models import RegisterItem, RegisterMonthlyFigure, Town
from .locks import lock_rows

Bucket = tuple[int, int, int, str]  # (town id, year, month, kind)


def computed(town_ids: Iterable[int] | None = None) -> dict[Bucket, dict[str, int]]:
    """The items of TOWN_IDS (every town when None) counted by the month raised and the month resolved (two queries)."""
    items = RegisterItem.objects.order_by()
    if town_ids is not None:
        items = items.filter(town_id__in=list(town_ids))
    figures: dict[Bucket, dict[str, int]] = {}
    for name, day, only in (("raised", "raised_on", Q()), ("resolved", "resolved_on", Q(resolved_on__isnull=False))):
        rows = (items.filter(only).annotate(bucket_year=ExtractYear(day), bucket_month=ExtractMonth(day))
                .values("town_id", "bucket_year", "bucket_month", "kind").annotate(n=Count("pk")))
        for row in rows:
            bucket = (row["town_id"], row["bucket_year"], row["bucket_month"], row["kind"])
            figures.setdefault(bucket, {"raised": 0, "resolved": 0})[name] = row["n"]
    return figures


@transaction.atomic
def refresh(town_ids: Iterable[int]) -> None:
    """Recompute the rows of TOWN_IDS from their items, in the caller's transaction."""
    towns = sorted({town for town in town_ids if town is not None})
    if not towns:
        return
    # A second writer of the same town's items waits, then counts after this one.
    lock_rows(Town, towns)
    RegisterMonthlyFigure.objects.filter(town_id__in=towns).delete()
    RegisterMonthlyFigure.objects.bulk_create(
        [RegisterMonthlyFigure(town_id=town, year=year, month=month, kind=kind, **counts)
         for (town, year, month, kind), counts in computed(towns).items()],
        batch_size=2000,
    )


@transaction.atomic
def rebuild() -> None:
    """Recompute every town's rows (verify_rollups --repair)."""
    RegisterMonthlyFigure.objects.all().delete()
    RegisterMonthlyFigure.objects.bulk_create(
        [RegisterMonthlyFigure(town_id=town, year=year, month=month, kind=kind, **counts)
         for (town, year, month, kind), counts in computed().items()],
        batch_size=2000,
    )


def differences() -> list[dict]:
    """Compare the rows with a count of every item; one entry per differing figure."""
    expected = computed()
    stored = {(row.town_id, row.year, row.month, row.kind): {"raised": row.raised, "resolved": row.resolved}
              for row in RegisterMonthlyFigure.objects.all()}
    found = []
    nothing = {"raised": 0, "resolved": 0}
    for bucket in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(bucket, nothing), stored.get(bucket, nothing)
        for name in ("raised", "resolved"):
            if want[name] != have[name]:
                town, year, month, kind = bucket
                found.append({"town_id": town, "year": year, "month": month, "kind": kind, "figure": name,
                              "rollup": have[name], "items": want[name]})
    return found

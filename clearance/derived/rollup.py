"""The monthly rollup (MonthlyFigure): each town's figures per calendar month, kept in step with the events; and
the same per calendar year (YearlyFigure), kept with it.

Why: the dashboard's period always starts on 1 January, so its figures are sums
of whole months. Summing at most twelve rollup rows per town costs the same with
five thousand enterprises or a million, where scanning the events would not.

How it stays exact: a figure is a function of the events and of what they point
at (the enterprise's town and energy, the site's town, area and whether it has
parcels inside). The services save and delete an Event, Enterprise or Site
inside `clearance.derived.kept_in_step`, which, in the same transaction,
  1. lock the rows the affected events' figures depend on, so two writers of the
     same figures take turns (the second recomputes after the first commits),
  2. compute the affected events' contributions before the write, by the same
     aggregates the selectors use (selectors.figure_aggregates),
  3. compute them again after the write, and
  4. add the difference to the rollup rows with one atomic upsert per month
     (`x = x + delta`), so concurrent writers to the same month never lose one,
     and to the year's row the same way (the year's rows first, then the months').
A new event, the write recording makes all day, has nothing before: its figures are
added by INSERT … SELECT of the same aggregates, compiled once per process: its year's
row, then its month's (one statement on PostgreSQL).
Bulk writers (the ledger's batched import, generate_scale) call
`rebuild(town_ids)` instead. `differences()` recomputes everything from the
events and lists any disagreement; `manage.py verify_rollups` reports it.
"""

import functools
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from ..models import Enterprise, Event, MonthlyFigure, Site, YearlyFigure
from ..selectors import FIGURE_KEYS, empty_figures, events_with_leaf_flag, figure_aggregates, to_cents
from . import prepared
from .compare import differing
from .locks import lock_rows

Bucket = tuple[int, int, int]  # (town id, year, month)
YearBucket = tuple[int, int]  # (town id, year)


def _contribution_rows(events: Q, *, by_month: bool = True) -> QuerySet:
    """The figures of the events matching EVENTS per (town, year, month), or per (town, year) when not BY_MONTH:
    bucket_town, bucket_year[, bucket_month] and FIGURE_KEYS, by the aggregates the selectors use."""
    buckets = {"bucket_town": Coalesce("enterprise__town_id", "site__town_id"), "bucket_year": ExtractYear("occurred_on")}
    if by_month:
        buckets["bucket_month"] = ExtractMonth("occurred_on")
    return events_with_leaf_flag().filter(events).annotate(**buckets).order_by().values(*buckets).annotate(
        **figure_aggregates())


def contributions(events: Q) -> dict[Bucket, dict]:
    """Return the figures of the events matching EVENTS, per (town, year, month), as the database computes them."""
    return {
        (row.pop("bucket_town"), row.pop("bucket_year"), row.pop("bucket_month")): to_cents(row)
        for row in _contribution_rows(events)
    }


def year_contributions(events: Q) -> dict[YearBucket, dict]:
    """The same per (town, year)."""
    return {
        (row.pop("bucket_town"), row.pop("bucket_year")): to_cents(row)
        for row in _contribution_rows(events, by_month=False)
    }


def _upsert_sql(model=MonthlyFigure) -> str:
    """INSERT INTO MODEL's table … ON CONFLICT adding to the bucket's row, for a VALUES list or a SELECT to follow."""
    table = connection.ops.quote_name(model._meta.db_table)
    bucket = "town_id, year, month" if model is MonthlyFigure else "town_id, year"
    increments = ", ".join(f"{key} = {table}.{key} + EXCLUDED.{key}" for key in FIGURE_KEYS)
    return (f"INSERT INTO {table} ({bucket}, {', '.join(FIGURE_KEYS)}) {{rows}} "
            f"ON CONFLICT ({bucket}) DO UPDATE SET {increments}")


# Stands for the new event's id while the statement is compiled; no event has a negative id.
_EVENT_ID_SLOT = -7_654_321_987


@functools.cache
def _new_event_statements(vendor: str) -> tuple[tuple[str, tuple, tuple[int, ...]], ...]:
    """Return the statements adding a new event's figures to the rollups, its year's row first, then its month's:
    each with its parameters and where the event's id goes.

    Compiled once per process (and database vendor): building the aggregate query through the ORM costs
    more than running it. Months whose figures the event leaves at zero are not written (nor locked).
    Every writer takes a year's row before a month's (as _apply does), or two writers could each hold a row
    the other waits for. On PostgreSQL one statement: the year's upsert in a WITH that the month's reads
    (a WITH no one reads runs after the main statement, which would take the month first); two elsewhere.
    """
    select, params = _contribution_rows(Q(pk=_EVENT_ID_SLOT)).query.sql_with_params()
    figures = ", ".join(f"contribution.{key}" for key in FIGURE_KEYS)
    some_figure = " OR ".join(f"contribution.{key} <> 0" for key in FIGURE_KEYS)
    month_rows = (f"SELECT contribution.bucket_town, contribution.bucket_year, contribution.bucket_month, {figures} "
                  f"FROM ({select}) contribution WHERE ({some_figure})")
    year_rows = month_rows.replace("contribution.bucket_month, ", "", 1)
    year_sql, month_sql = _upsert_sql(YearlyFigure).format(rows=year_rows), _upsert_sql(MonthlyFigure).format(rows=month_rows)
    if vendor == "postgresql":
        # The month's row is written where the year's was: the same bucket, the year's upsert done first.
        month_sql = _upsert_sql(MonthlyFigure).format(rows=f"{month_rows} AND EXISTS (SELECT 1 FROM year_written)")
        statements = [(f"WITH year_written AS ({year_sql} RETURNING 1) {month_sql}", (*params, *params))]
    else:
        statements = [(year_sql, tuple(params)), (month_sql, tuple(params))]
    return tuple(
        (sql, values, tuple(index for index, param in enumerate(values) if isinstance(param, int) and param == _EVENT_ID_SLOT))
        for sql, values in statements
    )


def _add_new_event(event_id: int) -> None:
    """Add the figures of the event EVENT_ID, just inserted, to its year's and its month's rollup rows."""
    for number, (sql, params, slots) in enumerate(_new_event_statements(connection.vendor)):
        prepared.execute(f"rollup_new_event_{number}", sql,
                         [event_id if index in slots else param for index, param in enumerate(params)])


def _difference(after: dict, before: dict) -> dict:
    """Return AFTER − BEFORE per bucket, leaving out buckets where nothing changed."""
    deltas = {}
    for bucket in after.keys() | before.keys():
        new, old = after.get(bucket, empty_figures()), before.get(bucket, empty_figures())
        delta = {key: new[key] - old[key] for key in FIGURE_KEYS}
        if any(delta.values()):
            deltas[bucket] = delta
    return deltas


def _apply(deltas: dict[Bucket, dict], year_deltas: dict[YearBucket, dict]) -> None:
    """Add DELTAS to the months' rows and YEAR_DELTAS to the years', creating missing ones: one upsert per row, safe
    under concurrent writers."""
    with connection.cursor() as cursor:
        # Years, then months, as a new event's statements take them.
        for model, changes, size in ((YearlyFigure, year_deltas, 2), (MonthlyFigure, deltas, 3)):
            if not changes:
                continue
            sql = _upsert_sql(model).format(rows=f"VALUES ({', '.join(['%s'] * (size + len(FIGURE_KEYS)))})")
            # Sorted, so two writers touching the same rows lock them in the same order.
            params = [(*bucket, *(delta[key] for key in FIGURE_KEYS)) for bucket, delta in sorted(changes.items())]
            cursor.executemany(sql, params)


def _site_family(site: Site) -> set[int]:
    """The site and its parent before and after the write: a parcel coming or going changes whether its area counts."""
    stored_parent = Site.objects.filter(pk=site.pk).values_list("parent_id", flat=True).first() if site.pk else None
    return {pk for pk in (site.pk, site.parent_id, stored_parent) if pk is not None}


class Tracked:
    """What a write may change the figures of, and those figures before it: settle() adds the difference."""

    def __init__(self, instance, events: Q, before: dict[Bucket, dict], years_before: dict[YearBucket, dict]):
        self.instance = instance
        self.events = events
        self.before = before
        self.years_before = years_before
        self.created = instance.pk is None

    def settle(self) -> None:
        """Add to the rollups what the write changed; call it after the save or delete, in the same transaction."""
        instance, events = self.instance, self.events
        if isinstance(instance, Event) and self.created:
            _add_new_event(instance.pk)  # nothing before, and its id known only now: its figures are the difference
            return
        if isinstance(instance, Site) and instance.pk is not None:
            events = events | Q(site_id=instance.pk)  # a new site's own id
        _apply(_difference(contributions(events), self.before),
               _difference(year_contributions(events), self.years_before))


def track(instance, *, locked: bool = False) -> Tracked | None:
    """Lock what a save or delete of INSTANCE may change figures through, and remember those figures.

    None for a write that changes no figure (a new enterprise has no events; other models have no figures).
    LOCKED: the caller holds those rows already (for an event, its enterprise or site: services.lock_subject).
    """
    if isinstance(instance, Event):
        if not locked:
            lock_rows(Enterprise, [instance.enterprise_id])
            lock_rows(Site, [instance.site_id])
        events = Q(pk=instance.pk) if instance.pk else Q(pk__in=[])
    elif isinstance(instance, Enterprise):
        if instance.pk is None:
            return None
        lock_rows(Enterprise, [instance.pk])
        events = Q(enterprise_id=instance.pk)
    elif isinstance(instance, Site):
        family = _site_family(instance)
        lock_rows(Site, family)
        events = Q(site_id__in=family)
    else:
        return None
    if not (instance.pk or isinstance(instance, Site)):
        return Tracked(instance, events, {}, {})
    return Tracked(instance, events, contributions(events), year_contributions(events))


# Bulk writes and verification -----------------------------------------------------


def _of_towns(town_ids: list[int] | None) -> Q:
    return Q() if town_ids is None else Q(enterprise__town_id__in=town_ids) | Q(site__town_id__in=town_ids)


def rebuild(town_ids: Iterable[int] | None = None) -> None:
    """Recompute both rollups' rows of TOWN_IDS (every town when None) from the events, in the caller's transaction.

    For bulk writers, which insert and update many rows at once.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers that applied a delta before this commit are counted by the recomputation;
            # writers after it wait for this lock, then add their delta on top (the year's table first, as they do).
            with connection.cursor() as cursor:
                for model in (YearlyFigure, MonthlyFigure):
                    cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} "
                                   "IN SHARE ROW EXCLUSIVE MODE")
        town_ids = None if town_ids is None else list(town_ids)
        for model in (MonthlyFigure, YearlyFigure):
            rows = model.objects.all()
            if town_ids is not None:
                rows = rows.filter(town_id__in=town_ids)
            rows.delete()
        MonthlyFigure.objects.bulk_create(
            [MonthlyFigure(town_id=town, year=year, month=month, **figures)
             for (town, year, month), figures in contributions(_of_towns(town_ids)).items()],
            batch_size=2000,
        )
        YearlyFigure.objects.bulk_create(
            [YearlyFigure(town_id=town, year=year, **figures)
             for (town, year), figures in year_contributions(_of_towns(town_ids)).items()],
            batch_size=2000,
        )


def _stored(model, bucket: tuple[str, ...]) -> dict[tuple, dict]:
    rows = model.objects.values(*bucket, *FIGURE_KEYS)
    buckets = {tuple(row.pop(name) for name in bucket): to_cents(row) for row in rows}
    return {key: figures for key, figures in buckets.items() if any(figures.values())}


def stored() -> dict[Bucket, dict]:
    """Return the monthly rollup's rows as they are, leaving out rows that are all zero (as if absent)."""
    return _stored(MonthlyFigure, ("town_id", "year", "month"))


def differences() -> list[dict]:
    """Compare both rollups with a recomputation from every event; return one entry per differing figure (month
    None: a year's row)."""
    def nonzero(figures: dict) -> dict:
        return {bucket: each for bucket, each in figures.items() if any(each.values())}

    figures = {"keys": FIGURE_KEYS, "empty": empty_figures(), "source": "events"}
    return [
        *differing(nonzero(contributions(Q())), stored(), names=("town_id", "year", "month"), **figures),
        *differing(nonzero(year_contributions(Q())), _stored(YearlyFigure, ("town_id", "year")),
                   names=("town_id", "year"), **figures),
    ]


def stored_count() -> int:
    return MonthlyFigure.objects.count()

"""Each site's progress (SiteProgress): its stage, the day of its own 腾退 and its card's counts, kept in step.

Why: the battle board puts every site in the column of its stage and shows the most urgent few of each. Worked out
from the events, that is every site's subtree and every event of a province on each request (about a minute at a
million enterprises). Stored, each column is a few index range scans (selectors.boards).

What a row depends on: the site's own fields (town, name, deadline), its own 腾退 event, and the enterprises, events
and parcels on it and inside it at any depth. So a write of an event, enterprise or site changes the rows of the
sites it touches and of every area they lie in (the site tree gives those in one lookup).

How it stays exact: the services save and delete events, enterprises and sites inside `kept_in_step`, which calls
`refresh_around` after the write (and after the site tree is in step), in the same transaction. It locks the rows
it will rewrite, in site order, and only then recomputes them: under PostgreSQL's READ COMMITTED each statement sees
what committed before it began, so a second writer of the same area waits for the first and counts its events too.
The recomputation is the selectors' own (with_site_stage, with_site_progress) in one INSERT … SELECT … ON CONFLICT
UPDATE. A new event, the write recording makes all day, runs a statement compiled once per process and prepared once
per database connection (derived.prepared: planning it costs more than running it). Bulk writers
(the ledger's import, generate_scale) call `rebuild(town_ids)`; `differences()` compares every row with a
recomputation and `verify_rollups` reports and repairs.
"""

import functools
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Enterprise, Event, Site, SiteAncestry, SiteProgress
from ..models.derived import NO_DEADLINE
from ..selectors.sites import with_site_progress, with_site_stage
from . import prepared


def computed(sites: QuerySet[Site]) -> QuerySet:
    """SITES' rows as the events say, as (site id, *SiteProgress.FIGURES) tuples in that order."""
    own_vacate = Event.objects.filter(site=OuterRef("pk")).order_by("occurred_on").values("occurred_on")[:1]
    rows = with_site_progress(with_site_stage(sites.order_by())).annotate(
        sort_deadline=Coalesce("deadline", Value(NO_DEADLINE)),
        vacated_on=Subquery(own_vacate),
    )
    # Every column as an alias of its own, so the SELECT lists them in the order of the table's columns below.
    columns = {"progress_site": F("pk"), "progress_town": F("town_id"), "progress_name": F("name")}
    columns |= {f"progress_{name}": F(name) for name in SiteProgress.FIGURES[2:]}
    return rows.annotate(**columns).values_list(*columns)


def _table_columns() -> list[str]:
    return ["site_id"] + [SiteProgress._meta.get_field(name).column for name in SiteProgress.FIGURES]


def _insert(select_sql: str, *, replacing: bool = True) -> str:
    """INSERT INTO the table the rows of SELECT_SQL; REPLACING: rewrite the rows already there.

    (SQLite reads an upsert's SELECT unambiguously only with a WHERE clause: every caller that replaces filters.)
    """
    table = connection.ops.quote_name(SiteProgress._meta.db_table)
    columns = _table_columns()
    sql = f"INSERT INTO {table} ({', '.join(columns)}) {select_sql}"
    if replacing:
        updates = ", ".join(f"{column} = excluded.{column}" for column in columns[1:])
        sql += f" ON CONFLICT (site_id) DO UPDATE SET {updates}"
    return sql


def _around(site_ids) -> QuerySet:
    """The sites SITE_IDS lie in, themselves included: every site whose row they count in."""
    return SiteAncestry.objects.filter(site_id__in=site_ids).values("ancestor_id")


def _write(targets: QuerySet) -> None:
    """Lock the rows of TARGETS (site ids) in order, then recompute them from the events in one statement."""
    list(SiteProgress.objects.select_for_update().filter(site_id__in=targets).order_by("site_id")
         .values_list("site_id", flat=True))
    sql, params = computed(Site.objects.filter(pk__in=targets)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_insert(sql), params)


def refresh_around(site_ids: Iterable[int | None]) -> None:
    """Recompute the rows of SITE_IDS and of every area they lie in, in the caller's transaction."""
    ids = sorted({pk for pk in site_ids if pk is not None})
    if ids:
        _write(_around(ids))


# Stands for the event's enterprise or site id while a statement is compiled; no row has a negative id.
_ID_SLOT = -7_654_321_989


@functools.cache
def _event_statements(vendor: str, subject: str) -> list[tuple[str, tuple, tuple[int, ...]]]:
    """The lock and the rewrite of the rows an event of an enterprise or of a site ('enterprise', 'site') counts in:
    (sql, params, where the subject's id goes) each, compiled once per process, as building them costs more than
    running them."""
    seed = Enterprise.objects.filter(pk=_ID_SLOT).values("site_id") if subject == "enterprise" else [_ID_SLOT]
    targets = _around(seed)
    lock = (SiteProgress.objects.select_for_update().filter(site_id__in=targets).order_by("site_id")
            .values_list("site_id", flat=True))
    lock_sql, lock_params = lock.query.sql_with_params()
    select_sql, select_params = computed(Site.objects.filter(pk__in=targets)).query.sql_with_params()
    statements = []
    for sql, params in ((lock_sql, lock_params), (_insert(select_sql), select_params)):
        slots = tuple(index for index, param in enumerate(params) if isinstance(param, int) and param == _ID_SLOT)
        statements.append((sql, tuple(params), slots))
    return statements


def event_written(event: Event) -> None:
    """Recompute the rows an event just saved or deleted counts in: its site's or enterprise's site and the areas
    around it (two statements)."""
    subject, pk = ("site", event.site_id) if event.site_id else ("enterprise", event.enterprise_id)
    for number, (sql, params, slots) in enumerate(_event_statements(connection.vendor, subject)):
        prepared.execute(f"site_progress_{subject}_{number}", sql,
                         [pk if index in slots else param for index, param in enumerate(params)])


# Bulk writes and verification -----------------------------------------------------


def rebuild(town_ids: Iterable[int] | None = None) -> None:
    """Recompute the rows of TOWN_IDS' sites (every site when None), in the caller's transaction (for bulk writers)."""
    town_ids = None if town_ids is None else sorted(set(town_ids))
    if town_ids == []:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # As rollup.rebuild: writers before this are counted by it; writers after it wait, then rewrite their rows.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(SiteProgress._meta.db_table)} "
                               "IN SHARE ROW EXCLUSIVE MODE")
        sites = Site.objects.all() if town_ids is None else Site.objects.filter(town_id__in=town_ids)
        stale = SiteProgress.objects.all() if town_ids is None else SiteProgress.objects.filter(town_id__in=town_ids)
        stale.delete()
        sql, params = computed(sites).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(_insert(sql, replacing=False), params)  # under the table lock, after the delete


def differences() -> list[dict]:
    """Compare every stored row with a recomputation; one entry per differing site (or a row missing or extra)."""
    expected = {row[0]: row[1:] for row in computed(Site.objects.all())}
    stored = {row[0]: row[1:] for row in SiteProgress.objects.values_list("site_id", *(
        f"{name}_id" if name == "town" else name for name in SiteProgress.FIGURES))}
    found = []
    for site in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(site), stored.get(site)
        if want != have:
            found.append({"site": site, "stored": have, "expected": want})
    return found

"""Reporting periods (通报期): which months are closed, the latest one, and what was published for a month."""

import calendar
from datetime import date

from django.db import connections, router
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ReportingPeriod
from .compiled import compiled_read


def distinct_years(*models: type[Model], latest_first: bool = False) -> list[int]:
    """Return the years the rows of MODELS have, each once, in order, in one query: an index probe per year and model.

    SELECT DISTINCT would read every row (a rollup's towns × months, an evaluation's million rows): a loose index
    scan asks each table for its first year, then the first after it, and so on, on an index led by the year. Read
    where the ORM reads the first model (a replica when one is configured).
    """
    connection = connections[router.db_for_read(models[0])]
    scans, reads = [], []
    for number, model in enumerate(models):
        scans.append(year_scan(f"years_{number}", connection.ops.quote_name(model._meta.db_table), latest_first))
        reads.append(f"SELECT year FROM years_{number} WHERE year IS NOT NULL")
    sql = f"WITH RECURSIVE {', '.join(scans)} {' UNION '.join(reads)} ORDER BY 1{' DESC' if latest_first else ''}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [year for (year,) in cursor.fetchall()]


def year_scan(name: str, table: str, latest_first: bool = False) -> str:
    """The loose index scan of TABLE's years as a recursive CTE NAME(year) for a WITH RECURSIVE: its first year, then
    the first after it, and so on (one index probe each), ending with a NULL row."""
    first, beyond = ("MAX", "<") if latest_first else ("MIN", ">")
    return (f"{name}(year) AS (SELECT {first}(year) FROM {table} UNION ALL "
            f"SELECT (SELECT {first}(year) FROM {table} WHERE year {beyond} {name}.year) FROM {name} "
            f"WHERE {name}.year IS NOT NULL)")


def month_label(year: int, month: int) -> str:
    """Return the month as people read it: 2022年8月."""
    return _("%(year)s, month %(month)s") % {"year": year, "month": month}


@compiled_read(ReportingPeriod)
def _latest_closed() -> QuerySet[ReportingPeriod]:
    return ReportingPeriod.objects.filter(closed=True).order_by("-year", "-month")[:1]


def latest_closed_period() -> ReportingPeriod | None:
    """Return the latest closed month, or None when no month is closed (one query)."""
    return next(iter(_latest_closed()), None)


@compiled_read(ReportingPeriod)
def _closed(*, year: int, month: int) -> QuerySet[ReportingPeriod]:
    return ReportingPeriod.objects.filter(year=year, month=month, closed=True)[:1]


def closed_period(*, year: int, month: int) -> ReportingPeriod | None:
    """Return the closed month YEAR-MONTH, or None when it is open (one query)."""
    return next(iter(_closed(year=year, month=month)), None)


def closed_months(dates) -> list[tuple[int, int]]:
    """Return the (year, month) of DATES whose month is closed, in order, each once (one query, none for no dates)."""
    months = sorted({(each.year, each.month) for each in dates if each is not None})
    if not months:
        return []
    wanted = Q()
    for year, month in months:
        wanted |= Q(year=year, month=month)
    return sorted(ReportingPeriod.objects.filter(wanted, closed=True).values_list("year", "month"))


def last_complete_month(today: date | None = None) -> tuple[int, int]:
    """Return the last calendar month that ended before TODAY (default: today)."""
    today = today or timezone.localdate()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def month_is_over(*, year: int, month: int, today: date | None = None) -> bool:
    """Return whether the month YEAR-MONTH has ended before TODAY (default: today)."""
    today = today or timezone.localdate()
    return date(year, month, calendar.monthrange(year, month)[1]) < today


def next_month(year: int, month: int) -> tuple[int, int]:
    """Return the month after YEAR-MONTH."""
    return (year, month + 1) if month < 12 else (year + 1, 1)


def period_months(*, count: int = 12) -> dict:
    """Return what the periods page lists: the latest closed month, the next one to close, and the last COUNT months.

    The months run back from the next one to close (without a closed month, the month before today), each
    with its row (closed, or reopened) or None; two queries.
    """
    latest = latest_closed_period()
    following = next_month(latest.year, latest.month) if latest else None
    end = following or last_complete_month()
    months = []
    year, month = end
    for _index in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    wanted = Q()
    for year, month in months:
        wanted |= Q(year=year, month=month)
    rows = {(row.year, row.month): row for row in ReportingPeriod.objects.filter(wanted).select_related(
        "closed_by", "reopened_by"
    )}
    return {
        "latest": latest,
        "next": following,
        "rows": [
            {"year": year, "month": month, "label": month_label(year, month), "period": rows.get((year, month))}
            for year, month in months
        ],
    }

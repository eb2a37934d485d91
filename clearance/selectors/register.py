"""The register of order (快中求稳) as the pages read it: counts per period, open items of a place, the list."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..choices import RegisterKind
from ..models import Enterprise, RegisterItem, RegisterMonthlyFigure, RegisterYearlyFigure, Site, Town
from .compiled import compiled_read
from .figures import towns_in_order
from .sites import SiteSubtree

# How many open items a town's page lists before it links to the full list.
TOWN_OPEN_SHOWN = 20
# RegisterKind.values builds its list anew at each use.
KINDS = tuple(RegisterKind.values)


class RegisterFigures(NamedTuple):
    """Items raised and resolved in a period (1 January to the end of its month), and open at its end.

    A named tuple: a dashboard makes five per town, and the city's are its towns' summed column by column."""

    raised: int = 0
    resolved: int = 0
    open: int = 0


def _summed(figures: Iterable[RegisterFigures]) -> RegisterFigures:
    """FIGURES added up, each count over all of them."""
    return RegisterFigures(*map(sum, zip(*figures)))


@dataclass(frozen=True)
class RegisterRow:
    """One town's (or, with town None, the city's) counts: in all and by kind (RegisterKind values)."""

    town: Town | None
    total: RegisterFigures
    kinds: dict[str, RegisterFigures]


@dataclass(frozen=True)
class RegisterCounts:
    year: int
    month: int
    city: RegisterRow
    towns: list[RegisterRow]


@compiled_read(RegisterMonthlyFigure)
def _register_sums(*, year: int, month: int) -> QuerySet[RegisterMonthlyFigure]:
    """Per town and kind: the items raised and resolved in YEAR's months up to MONTH, and before YEAR (one query, two
    rows at most per town and kind: this year's months, and the earlier years')."""
    this_year = (
        RegisterMonthlyFigure.objects.filter(year=year, month__lte=month).order_by().values_list("town_id", "kind")
        .annotate(raised_now=Sum("raised"), resolved_now=Sum("resolved"),
                  raised_before=Value(0, IntegerField()), resolved_before=Value(0, IntegerField()))
    )
    earlier_years = (
        RegisterYearlyFigure.objects.filter(year__lt=year).order_by().values_list("town_id", "kind")
        .annotate(raised_now=Value(0, IntegerField()), resolved_now=Value(0, IntegerField()),
                  raised_before=Sum("raised"), resolved_before=Sum("resolved"))
    )
    return this_year.union(earlier_years, all=True)


def register_counts(*, year: int, month: int) -> RegisterCounts:
    """Return, per town (every town, in display order) and for the city (their sum), the items raised
    (raised_on from 1 January to the end of MONTH), resolved (resolved_on in the same days) and open at the
    period's end (raised by then and not resolved by then), in all and by kind.

    Two queries: the towns, and the sums of the register's rollups up to the period's end (the months of the
    period's year, RegisterMonthlyFigure, and the years before it, RegisterYearlyFigure), not the items (a join of
    the towns with the rollup takes twice as long). An item is resolved on or after the day it was raised (a
    constraint), so those open at the end are those raised by then less those resolved by then.
    """
    # Plain counts per town and kind first, the figures made once each: this year's and the earlier years' rows of
    # a town and kind come in either order, and at a million enterprises every town has both for every kind.
    counts: dict[int, dict[str, list[int]]] = {}
    for town_id, kind, raised, resolved, raised_before, resolved_before in _register_sums(year=year, month=month):
        summed = counts.setdefault(town_id, {}).setdefault(kind, [0, 0, 0])
        summed[0] += raised
        summed[1] += resolved
        summed[2] += raised + raised_before - resolved - resolved_before
    none, rows = RegisterFigures(), []
    for town in towns_in_order():
        counted = counts.get(town.pk)
        if counted is None:
            rows.append(RegisterRow(town, none, dict.fromkeys(KINDS, none)))
            continue
        kinds = {kind: RegisterFigures(*counted[kind]) if kind in counted else none for kind in KINDS}
        rows.append(RegisterRow(town, _summed(kinds.values()), kinds))
    city_kinds = {kind: _summed([row.kinds[kind] for row in rows]) for kind in KINDS}
    city = RegisterRow(None, _summed(city_kinds.values()), city_kinds)
    return RegisterCounts(year, month, city, rows)


def register_items() -> QuerySet[RegisterItem]:
    """Return every item with its town, subject and group, newest raised first (for the list and its export)."""
    return RegisterItem.objects.select_related(
        "town", "site", "enterprise__site", "responsible_group"
    ).order_by("-raised_on", "-pk")


@dataclass(frozen=True)
class OpenItem:
    """An open item as a page lists it, with the names of its subject and group.

    Values rather than models: a busy town's twenty items, each built as an item with its town, site, enterprise and
    group, took 3.7 ms of the town page at a million enterprises (1.6 ms read as values)."""

    pk: int
    kind: str
    raised_on: date
    description: str
    site_id: int | None
    site_name: str | None
    enterprise_id: int | None
    enterprise_name: str | None
    group_name: str | None


_OPEN_ITEM_FIELDS = ("pk", "kind", "raised_on", "description", "site_id", "site__name", "enterprise_id",
                     "enterprise__name", "responsible_group__name")


def _open() -> QuerySet[RegisterItem]:
    return RegisterItem.objects.filter(resolved_on__isnull=True).order_by("raised_on", "pk")


def _open_items(items: QuerySet[RegisterItem]) -> list[OpenItem]:
    return [OpenItem(*row) for row in items.values_list(*_OPEN_ITEM_FIELDS)]


def site_open_items(*, subtree: SiteSubtree) -> list[OpenItem]:
    """Return the open items of a site's SUBTREE: on the site, the parcels inside it, their enterprises (one query)."""
    return _open_items(_open().filter(subtree.events()))


def enterprise_open_items(*, enterprise: Enterprise) -> list[OpenItem]:
    """Return ENTERPRISE's open items, oldest first (one query)."""
    return _open_items(_open().filter(enterprise=enterprise))


def town_open_items(*, town: Town, limit: int = TOWN_OPEN_SHOWN) -> list[OpenItem]:
    """Return TOWN's open items, oldest first: at most LIMIT + 1, the extra one saying there are more (one query)."""
    return _open_items(_open().filter(town=town)[: limit + 1])


def with_open_register_count(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate `open_register_count`: the open items on the site, the parcels inside it at any depth and their
    enterprises. Two counted subqueries through the site tree (an OR across both would scan every item)."""
    site = OuterRef("pk")

    def counted(queryset: QuerySet) -> Coalesce:
        return Coalesce(
            Subquery(
                queryset.filter(resolved_on__isnull=True).order_by().annotate(one=Value(1)).values("one")
                .annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    return sites.annotate(
        open_register_count=counted(RegisterItem.objects.filter(site__ancestry__ancestor=site))
        + counted(RegisterItem.objects.filter(enterprise__site__ancestry__ancestor=site))
    )

"""The register of order (快中求稳) as the pages read it: counts per period, open items of a place, the list."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..choices import RegisterKind
from ..models import Enterprise, RegisterItem, Site, Town
from .figures import period_bounds
from .sites import SiteSubtree

# How many open items a town's page lists before it links to the full list.
TOWN_OPEN_SHOWN = 20
COUNTS = ("raised", "resolved", "open")


@dataclass(frozen=True)
class RegisterFigures:
    """Items raised and resolved in a period (1 January to the end of its month), and open at its end."""

    raised: int = 0
    resolved: int = 0
    open: int = 0

    def __add__(self, other: "RegisterFigures") -> "RegisterFigures":
        return RegisterFigures(*(getattr(self, name) + getattr(other, name) for name in COUNTS))


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


def _aggregates(prefix: str, raised: Q, resolved: Q, still_open: Q) -> dict:
    """The three counts, for all items and for each kind, as conditional counts of the joined items."""
    item = "register_items"
    aggregates = {}
    for kind in (None, *RegisterKind.values):
        only = Q(**{f"{item}__kind": kind}) if kind else Q()
        name = f"{prefix}{kind or 'all'}"
        aggregates[f"{name}_raised"] = Count(f"{item}__pk", filter=raised & only)
        aggregates[f"{name}_resolved"] = Count(f"{item}__pk", filter=resolved & only)
        aggregates[f"{name}_open"] = Count(f"{item}__pk", filter=still_open & only)
    return aggregates


def register_counts(*, year: int, month: int) -> RegisterCounts:
    """Return, per town (every town, in display order) and for the city (their sum), the items raised
    (raised_on from 1 January to the end of MONTH), resolved (resolved_on in the same days) and open at the
    period's end (raised by then and not resolved by then), in all and by kind. One grouped query."""
    start, end = period_bounds(year=year, month=month)
    item = "register_items"
    aggregates = _aggregates(
        "n_",
        raised=Q(**{f"{item}__raised_on__gte": start, f"{item}__raised_on__lte": end}),
        resolved=Q(**{f"{item}__resolved_on__gte": start, f"{item}__resolved_on__lte": end}),
        still_open=Q(**{f"{item}__raised_on__lte": end})
        & (Q(**{f"{item}__resolved_on__isnull": True}) | Q(**{f"{item}__resolved_on__gt": end})),
    )
    towns = Town.objects.order_by("display_order", "name").annotate(**aggregates)
    rows = []
    for town in towns:
        figures = {
            kind: RegisterFigures(*(getattr(town, f"n_{kind}_{name}") for name in COUNTS))
            for kind in ("all", *RegisterKind.values)
        }
        total = figures.pop("all")
        rows.append(RegisterRow(town, total, figures))
    city_kinds = {kind: sum((row.kinds[kind] for row in rows), RegisterFigures()) for kind in RegisterKind.values}
    city = RegisterRow(None, sum((row.total for row in rows), RegisterFigures()), city_kinds)
    return RegisterCounts(year, month, city, rows)


def register_items() -> QuerySet[RegisterItem]:
    """Return every item with its town, subject and group, newest raised first (for the list and its export)."""
    return RegisterItem.objects.select_related(
        "town", "site", "enterprise__site", "responsible_group"
    ).order_by("-raised_on", "-pk")


def _open() -> QuerySet[RegisterItem]:
    return register_items().filter(resolved_on__isnull=True).order_by("raised_on", "pk")


def site_open_items(*, subtree: SiteSubtree) -> list[RegisterItem]:
    """Return the open items of a site's SUBTREE: on the site, the parcels inside it, their enterprises (one query)."""
    return list(_open().filter(subtree.events()))


def enterprise_open_items(*, enterprise: Enterprise) -> list[RegisterItem]:
    """Return ENTERPRISE's open items, oldest first (one query)."""
    return list(_open().filter(enterprise=enterprise))


def town_open_items(*, town: Town, limit: int = TOWN_OPEN_SHOWN) -> list[RegisterItem]:
    """Return TOWN's open items, oldest first: at most LIMIT + 1, the extra one saying there are more (one query)."""
    return list(_open().filter(town=town)[: limit + 1])


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

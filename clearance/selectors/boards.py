"""The boards: the battle board's sites, the pairing board (联挂) and the targets' allocation check."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from ..models import Pairing, Site, Target, TaskForceMember, Town
from .figures import CENT
from .register import with_open_register_count
from .sites import with_site_overdue, with_site_progress, with_site_stage


def town_pairing(*, town: Town) -> Pairing | None:
    """Return TOWN's active pairing with head, bureau, task force, its members and member bureaus (three queries)."""
    return (
        Pairing.objects.active()
        .filter(town=town)
        .select_related("head__bureau", "task_force")
        .prefetch_related("task_force__members", "task_force__member_bureaus")
        .first()
    )


def board_sites() -> QuerySet[Site]:
    """Return every site for the battle board with town and parent, stage, progress counts, overdue flag and open
    items of the register (one query)."""
    sites = Site.objects.select_related("town", "parent").order_by("town__display_order", "town__name", "name")
    return with_open_register_count(with_site_overdue(with_site_progress(with_site_stage(sites))))


@dataclass
class PairingBoardRow:
    """One town on the pairing board: its active pairing (or None) and its ended ones, latest first."""

    town: Town
    active: Pairing | None
    ended: list[Pairing]


def pairings_with_teams(pairings: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """Return PAIRINGS with town, head, bureau and task force, `member_count` and the member bureaus prefetched (two queries)."""
    members = TaskForceMember.objects.filter(task_force__pairing=OuterRef("pk")).order_by().values("task_force")
    return pairings.select_related("town", "head__bureau", "task_force").annotate(
        member_count=Coalesce(Subquery(members.annotate(n=Count("pk")).values("n")), 0)
    ).prefetch_related("task_force__member_bureaus")


def pairing_board() -> list[PairingBoardRow]:
    """Return every town with its active pairing and task force and its ended pairings (three queries)."""
    towns = list(Town.objects.order_by("display_order", "name"))
    pairings = pairings_with_teams(Pairing.objects.order_by("-started_on", "-pk"))
    by_town: dict[int, list[Pairing]] = {}
    for pairing in pairings:
        by_town.setdefault(pairing.town_id, []).append(pairing)
    rows = []
    for town in towns:
        own = by_town.get(town.pk, [])
        active = next((pairing for pairing in own if pairing.ended_on is None), None)
        rows.append(PairingBoardRow(town, active, [pairing for pairing in own if pairing.ended_on is not None]))
    return rows


def head_pairings(*, head) -> list[Pairing]:
    """Return every pairing of HEAD, latest first, with towns and task forces (two queries)."""
    return list(pairings_with_teams(Pairing.objects.filter(head=head).order_by("-started_on", "-pk")))


@dataclass(frozen=True)
class AllocationGap:
    """A year and metric whose towns' allocations do not add up to the city's target; difference = towns − city."""

    year: int
    metric: str
    city: Decimal
    towns: Decimal

    @property
    def difference(self) -> Decimal:
        return self.towns - self.city


def target_allocation_gaps() -> list[AllocationGap]:
    """Return each year and metric with both a city target and town allocations whose sum differs from it (one query).

    A year whose towns have no allocation yet is not a gap: the allocation has not started.
    """
    rows = (
        Target.objects.order_by()
        .values("year", "metric")
        .annotate(
            city=Sum("value", filter=Q(town__isnull=True)),
            towns=Sum("value", filter=Q(town__isnull=False)),
        )
        .filter(city__isnull=False, towns__isnull=False)
        .order_by("-year", "metric")
    )
    gaps = []
    for row in rows:
        # SQLite sums decimals as floats: compare to the cent.
        city, towns = (Decimal(str(row[key])).quantize(CENT) for key in ("city", "towns"))
        if city != towns:
            gaps.append(AllocationGap(row["year"], row["metric"], city, towns))
    return gaps

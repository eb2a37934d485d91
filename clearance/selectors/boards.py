"""The boards: the battle board's columns, the pairing board (联挂) and the targets' allocation check."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..choices import Stage
from ..models import Pairing, Site, SiteProgress, Target, TaskForceMember, Town
from .figures import CENT
from .register import with_open_register_count
from .sites import NOT_STARTED, with_site_overdue, with_stored_progress

# The battle board's columns, left to right: the campaign's stages, then the sites with nothing on them.
BOARD_STAGES = (NOT_STARTED, *Stage.values, None)


def town_pairing(*, town: Town) -> Pairing | None:
    """Return TOWN's active pairing with head, bureau, task force, its members and member bureaus (three queries)."""
    return (
        Pairing.objects.active()
        .filter(town=town)
        .select_related("head__bureau", "task_force")
        .prefetch_related("task_force__members", "task_force__member_bureaus")
        .first()
    )


@dataclass
class BoardColumn:
    """One column of the battle board: its stage (NOT_STARTED, a Stage, or None for sites with nothing on them), how
    many sites it holds, the most urgent of them from OFFSET on (sites, with their card's figures)."""

    stage: int | None
    count: int
    offset: int = 0
    sites: list[Site] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many of the column's sites come after these."""
        return max(self.count - self.offset - len(self.sites), 0)


def board_counts(progress: QuerySet[SiteProgress], stages=BOARD_STAGES) -> dict[int | None, int]:
    """How many sites of PROGRESS (filtered SiteProgress rows) each column of STAGES holds: one query, an index-only
    scan of the stages."""
    in_stages = progress if tuple(stages) == BOARD_STAGES else progress.filter(_in_stages(stages))
    counts = dict(in_stages.order_by().values_list("stage").annotate(n=Count("pk")))
    return {stage: counts.get(stage, 0) for stage in stages}


def board_columns(progress: QuerySet[SiteProgress], *, counts: dict[int | None, int], limit: int, today: date,
                  offset: int = 0) -> list[BoardColumn]:
    """Return the battle board's columns of COUNTS (board_counts) for the sites of PROGRESS, each with LIMIT cards
    from OFFSET on, the most urgent first (_urgency_parts).

    Two queries whatever the number of sites: the cards' ids, the cards.
    """
    stages = list(counts)
    ranked = _most_urgent(progress, stages=stages, limit=limit, offset=offset, today=today)
    cards = board_cards([pk for ids in ranked.values() for pk in ids], today=today)
    return [BoardColumn(stage, counts[stage], offset, [cards[pk] for pk in ranked[stage]]) for stage in stages]


def _in_stages(stages) -> Q:
    """Rows in the columns of STAGES (a stage may be None: the sites with nothing on them)."""
    rows = Q(stage__in=[stage for stage in stages if stage is not None])
    return rows | Q(stage__isnull=True) if None in stages else rows


def _urgency_parts(column: QuerySet[SiteProgress], today: date) -> tuple[QuerySet[SiteProgress], ...]:
    """COLUMN's sites in three parts, most urgent first: the overdue (the deadline passed and no 腾退 of the site
    itself), then the others not yet vacated by their own 腾退, then those vacated. Within a part: by deadline (none
    last), then by name (URGENCY_ORDER); each part is a range of one of SiteProgress's indexes, read in its order."""
    return (
        column.filter(vacated_on__isnull=True, sort_deadline__lt=today),
        column.filter(vacated_on__isnull=True, sort_deadline__gte=today),
        column.filter(vacated_on__isnull=False),
    )


URGENCY_ORDER = ("sort_deadline", "name", "site_id")


# Stands for a column's stage while its parts are compiled (a Value: the field would take a negative number for
# no match at all); no stage is negative.
_STAGE_SLOT = -7_654_323


def _most_urgent(progress: QuerySet[SiteProgress], *, stages, limit: int, offset: int,
                 today: date) -> dict[int | None, list[int]]:
    """The ids of the most urgent sites of each column of STAGES, LIMIT of them from OFFSET on, in order: one query.

    Each part of each column is read up to OFFSET + LIMIT rows down its index; the parts are put one after the other by one
    UNION ALL (each part a subquery of its own: SQLite takes ORDER BY and LIMIT in a compound's parts only there).
    The parts are compiled once for any stage and once for the sites with nothing on them, then given each
    column's stage: compiling them per column through the ORM cost more than running them.
    """
    # The database the router reads these rows from (a replica where one is configured), as the ORM would.
    alias = progress.db
    compiled = {}
    for key, in_column in (("stage", Q(stage=Value(_STAGE_SLOT))), ("none", Q(stage__isnull=True))):
        compiled[key] = []
        for rows in _urgency_parts(progress.filter(in_column), today):
            try:
                part = rows.order_by(*URGENCY_ORDER).values_list(*URGENCY_ORDER)[:offset + limit]
                compiled[key].append(part.query.get_compiler(using=alias).as_sql())
            except EmptyResultSet:  # an invalid filter's none()
                pass
    selects, params = [], []
    for column, stage in enumerate(stages):
        for part, (sql, part_params) in enumerate(compiled["none" if stage is None else "stage"]):
            selects.append(f"SELECT {column} AS board_column, {part} AS part, ranked.* FROM ({sql}) ranked")
            params.extend(stage if param == _STAGE_SLOT else param for param in part_params)
    ranked = {stage: [] for stage in stages}
    if not selects:
        return ranked
    skipped = dict.fromkeys(stages, 0)
    # The outer ORDER BY repeats the parts' own, in the database's collation, so the order is theirs.
    sql = " UNION ALL ".join(selects) + " ORDER BY 1, 2, 3, 4, 5"
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        for column, _part, _deadline, _name, pk in cursor.fetchall():
            stage = stages[column]
            if skipped[stage] < offset:
                skipped[stage] += 1
            elif len(ranked[stage]) < limit:
                ranked[stage].append(pk)
    return ranked


def board_cards(site_ids: list[int], *, today: date) -> dict[int, Site]:
    """Return the sites SITE_IDS by id, with town, parent, overdue flag, open items of the register and their card's
    figures from their stored progress (one query)."""
    sites = with_stored_progress(Site.objects.filter(pk__in=site_ids).select_related("town", "parent").order_by())
    return {site.pk: site for site in with_open_register_count(with_site_overdue(sites, as_of=today))}


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

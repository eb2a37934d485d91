"""换鸟 figures for a period, city and towns: projects signed, investment signed, land reused and land awaiting,
with their targets, lights and ranks, and the 履约 of due commitments; summed by the database from the rollups."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    Case, CharField, Count, DecimalField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _

from ..choices import LAND_REUSED_STAGE, REUSE_TARGET_METRICS, CommitmentState, ProjectKind, ProjectStage, ReuseMetric
from ..models import (
    IndicatorRow, MonthlyFigure, Project, ProjectEvent, ReuseMonthlyFigure, ReuseYearlyFigure, Target, YearlyFigure,
)
from .compiled import compiled_read
from .figures import ZERO, period_bounds, town_names
from .ranking import (
    AsOfMonth, MetricFigure, competition_ranks, completion, exact_mean, light_judge, round_half_up, time_progress,
)

DECIMAL = DecimalField(max_digits=16, decimal_places=2)
ROLLUP_KEYS = ("projects_signed", "investment_signed_wan", "land_reused_mu")
REUSE_KEYS = tuple(ReuseMetric.values)
COMMITMENT_KEYS = ("due", *CommitmentState.values)


def land_reused_events(prefix: str = "") -> Q:
    """The events that count a project's land as reused (DOMAIN.md): 供地 of a 招商项目, 验收 of a 复垦."""
    return Q(
        **{f"{prefix}stage": LAND_REUSED_STAGE[ProjectKind.INVESTMENT], f"{prefix}project__kind": ProjectKind.INVESTMENT}
    ) | Q(
        **{f"{prefix}stage": LAND_REUSED_STAGE[ProjectKind.RECLAMATION],
           f"{prefix}project__kind": ProjectKind.RECLAMATION}
    )


def reuse_aggregates() -> dict:
    """Aggregates over project events giving the reuse figures of the events in the queryset.

    The one definition: the monthly reuse rollup (clearance.derived.reuse_rollup) is computed with it,
    and `verify_rollups` checks the rollup against it.
    """
    signed = Q(stage=ProjectStage.SIGNED)
    return {
        "projects_signed": Count("pk", filter=signed),
        "investment_signed_wan": Coalesce(
            Sum("project__committed_investment_wan", filter=signed), Value(ZERO), output_field=DECIMAL
        ),
        "land_reused_mu": Coalesce(Sum("project__land_mu", filter=land_reused_events()), Value(ZERO),
                                   output_field=DECIMAL),
    }


def reuse_events() -> QuerySet[ProjectEvent]:
    return ProjectEvent.objects.order_by()


def _sum(name: str, filter: Q | None = None):
    return Coalesce(Sum(name, filter=filter), Value(ZERO), output_field=DECIMAL)


@compiled_read(ReuseMonthlyFigure)
def _reuse_sums(*, year: int, month: int) -> QuerySet[ReuseMonthlyFigure]:
    """Per town: YEAR's figures up to MONTH, and the land reused before YEAR (one query, two rows at most per town:
    the period's year's months, and the earlier years)."""
    zero, none = Value(ZERO, output_field=DECIMAL), Value(0, output_field=IntegerField())
    this_year = (
        ReuseMonthlyFigure.objects.filter(year=year, month__lte=month).order_by().values_list("town_id")
        .annotate(projects=Sum("projects_signed"), investment=_sum("investment_signed_wan"),
                  reused=_sum("land_reused_mu"), reused_before=zero)
    )
    earlier_years = (
        ReuseYearlyFigure.objects.filter(year__lt=year).order_by().values_list("town_id")
        .annotate(projects=none, investment=zero, reused=zero, reused_before=_sum("land_reused_mu"))
    )
    return this_year.union(earlier_years, all=True)


@compiled_read(MonthlyFigure)
def _vacated_by_end(*, year: int, month: int) -> QuerySet[MonthlyFigure]:
    """Per town, the land vacated in YEAR's months up to MONTH, and in the years before (one query, two rows at most
    per town)."""
    this_year = MonthlyFigure.objects.filter(year=year, month__lte=month).order_by().values_list("town_id").annotate(
        land=_sum("land_vacated_mu"))
    earlier_years = YearlyFigure.objects.filter(year__lt=year).order_by().values_list("town_id").annotate(
        land=_sum("land_vacated_mu"))
    return this_year.union(earlier_years, all=True)


def reuse_town_figures(*, year: int, month: int) -> dict[int, dict]:
    """Return each town's four reuse figures for the period (two grouped queries over the rollups: the 换鸟 rollups'
    sums of the period's months and of the land reused in the earlier years in one, the clearance rollups' land
    vacated in the period's months and in the earlier years in the other)."""
    figures: dict[int, dict] = {}
    awaiting: dict[int, Decimal] = {}
    for town_id, projects, investment, reused, reused_before in _reuse_sums(year=year, month=month):
        town = figures.setdefault(town_id, empty_reuse_figures())
        # A town's row of this year's months and its row of the earlier years, in either order.
        town["projects_signed"] += projects or 0
        town["investment_signed_wan"] += _cents(investment)
        town["land_reused_mu"] += _cents(reused)
        awaiting[town_id] = awaiting.get(town_id, ZERO) - _cents(reused) - _cents(reused_before)
    for town_id, land in _vacated_by_end(year=year, month=month):
        awaiting[town_id] = awaiting.get(town_id, ZERO) + _cents(land)
    for town_id, land in awaiting.items():
        figures.setdefault(town_id, empty_reuse_figures())["land_awaiting_mu"] = land
    return figures


def empty_reuse_figures() -> dict:
    return {"projects_signed": 0, "investment_signed_wan": ZERO, "land_reused_mu": ZERO, "land_awaiting_mu": ZERO}


_CENT = Decimal("0.01")


def _cents(value) -> Decimal:
    # PostgreSQL's sums are decimals already (rounded without a detour through text: a million enterprises' towns
    # make a thousand a page); SQLite sums decimals as floats: back to the cent.
    if value.__class__ is Decimal:
        return value.quantize(_CENT)
    return Decimal(str(value or 0)).quantize(_CENT)


# 履约 -------------------------------------------------------------------------------------------------


def evaluations_from_full_production() -> QuerySet[IndicatorRow]:
    """The operator's indicator rows of the committed 达产 year or later with a 亩均税收 (land > 0, tax given)."""
    return IndicatorRow.objects.filter(
        enterprise_id=OuterRef("operator_id"),
        year__gte=ExtractYear(OuterRef("committed_full_production_on")),
        land_mu__gt=0,
        tax_wan__isnull=False,
    )


def commitment_of() -> Case:
    """The commitment state of the project of the outer query: met, missed or unverified (DOMAIN.md 履约).

    Met when an evaluation of the 达产 year or later gives a 亩均税收 reaching the committed one (compared
    exactly: tax ≥ committed × land); missed when such an evaluation exists and none reaches it. The definition:
    Project.commitment stores it for every project, kept by derived.commitments (verify_rollups checks).
    """
    evaluations = evaluations_from_full_production()
    reached = evaluations.filter(tax_wan__gte=OuterRef("committed_tax_per_mu_wan") * F("land_mu"))
    return Case(
        When(Q(committed_tax_per_mu_wan__isnull=True) | Q(operator__isnull=True), then=Value(CommitmentState.UNVERIFIED)),
        When(Exists(reached), then=Value(CommitmentState.MET)),
        When(Exists(evaluations), then=Value(CommitmentState.MISSED)),
        default=Value(CommitmentState.UNVERIFIED),
        output_field=CharField(),
    )


def due_projects(*, period_end: date) -> QuerySet[Project]:
    """The 招商项目 whose committed 达产 date is on or before PERIOD_END, each with its stored commitment state."""
    return Project.objects.filter(kind=ProjectKind.INVESTMENT, committed_full_production_on__lte=period_end)


def commitment_counts(*, period_end: date, town_id: int | None = None) -> dict[int, dict]:
    """Return per town (TOWN_ID's alone when given) the due commitments and how many are met, missed and unverified
    (one grouped query)."""
    # Counted on the town (never empty), not the id: the town and the state are in project_due_idx (and
    # project_town_due_idx), so the index alone is read.
    return {row.pop("town_id"): row for row in _commitment_rows(period_end=period_end, town_id=town_id)}


@compiled_read(Project)
def _commitment_rows(*, period_end: date, town_id: int | None = None) -> QuerySet[Project]:
    projects = due_projects(period_end=period_end)
    if town_id is not None:
        projects = projects.filter(town_id=town_id)
    return projects.order_by().values("town_id").annotate(**_commitment_sums())


def _commitment_sums() -> dict:
    """The due commitments and how many are in each state, as aggregates of due_projects."""
    return {"due": Count("town"),
            **{state: Count("town", filter=Q(commitment=state)) for state in CommitmentState.values}}


def city_commitment_counts(*, period_end: date) -> dict:
    """Return the city's due commitments and how many are met, missed and unverified, not counted per town (one
    query, one row: a third less than commitment_counts at a million enterprises)."""
    return _city_commitment_rows(period_end=period_end)[0]


@compiled_read(Project)
def _city_commitment_rows(*, period_end: date) -> QuerySet[Project]:
    # A constant is never grouped by: one row over every due project, zeros when none is due.
    return (
        due_projects(period_end=period_end).order_by().annotate(city=Value(1)).values("city")
        .annotate(**_commitment_sums()).values(*COMMITMENT_KEYS)
    )


def empty_commitments() -> dict:
    return dict.fromkeys(COMMITMENT_KEYS, 0)


# The summary ------------------------------------------------------------------------------------------


@dataclass
class ReuseScope:
    """The reuse figures of the city or a town: each figure (with target, completion, light, rank), commitments."""

    name: str
    figures: dict
    metrics: dict[str, MetricFigure]
    # None where they were not counted (reuse_summary's COMMITMENTS_OF).
    commitments: dict | None
    pk: int | None = None
    score: Fraction | None = None
    rank: int | None = None
    # Where the town stands in the towns' display order (Town ordering): the ranking sorts the list.
    position: int = 0

    @property
    def score_pct(self) -> float | None:
        return round_half_up(self.score)


@dataclass
class ReuseSummary(AsOfMonth):
    """The city's and the towns' reuse figures as of a month."""

    city: ReuseScope
    towns: list[ReuseScope] = field(default_factory=list)

    @property
    def towns_in_display_order(self) -> list[ReuseScope]:
        return sorted(self.towns, key=lambda town: town.position)

    @property
    def has_targets(self) -> bool:
        return any(figure.target is not None for figure in self.city.metrics.values()) or any(
            figure.target is not None for town in self.towns for figure in town.metrics.values()
        )


@compiled_read(Target)
def _reuse_target_rows(*, year: int) -> QuerySet[Target]:
    return Target.objects.filter(year=year, metric__in=REUSE_TARGET_METRICS).order_by().values_list(
        "town_id", "metric", "value")


def _reuse_targets(year: int) -> dict[int | None, dict[str, Decimal]]:
    targets: dict[int | None, dict[str, Decimal]] = {}
    for town_id, metric, value in _reuse_target_rows(year=year):
        targets.setdefault(town_id, {})[metric] = value
    return targets


def _scope(name: str, figures: dict, targets: dict, commitments: dict | None, judge, pk=None) -> ReuseScope:
    metrics = {}
    for metric in REUSE_KEYS:
        target = targets.get(metric) if metric in REUSE_TARGET_METRICS else None
        value = completion(figures[metric], target)
        metrics[metric] = MetricFigure(metric, figures[metric], target, value, judge(value))
    return ReuseScope(name=name, figures=figures, metrics=metrics, commitments=commitments, pk=pk)


def _rank(towns: list[ReuseScope]) -> list[ReuseScope]:
    """Rank the towns per target metric and overall by the mean completion, ranked towns first (1, 2, 2, 4)."""
    for metric in REUSE_TARGET_METRICS:
        ranks = competition_ranks({index: town.metrics[metric].completion for index, town in enumerate(towns)})
        for index, town in enumerate(towns):
            town.metrics[metric].rank = ranks[index]
    for town in towns:
        completions = [town.metrics[metric].completion for metric in REUSE_TARGET_METRICS
                       if town.metrics[metric].completion is not None]
        town.score = exact_mean(completions)
    ranks = competition_ranks({index: town.score for index, town in enumerate(towns)})
    for index, town in enumerate(towns):
        town.rank = ranks[index]
    return sorted(towns, key=lambda town: (town.rank is None, town.rank or 0))


# reuse_summary's COMMITMENTS_OF for the city's commitments alone.
CITY_COMMITMENTS = "city"


def reuse_summary(*, year: int, month: int, commitments_of: int | str | None = None) -> ReuseSummary:
    """Return the city's and every town's reuse figures and commitments as of the end of MONTH in YEAR.

    A fixed number of queries whatever the number of projects; the city's figures are the towns' added up.

    COMMITMENTS_OF narrows the commitments counted to what a page shows, every other scope's being None: a town's
    pk, that town's alone (its page: every town's took 2.5 ms of it at a million enterprises, one town's 0.2 ms
    through project_town_due_idx); CITY_COMMITMENTS, the city's alone, not counted per town (the dashboard).
    """
    progress = time_progress(month)
    judge = light_judge(progress)
    period_end = period_bounds(year=year, month=month)[1]
    by_town = reuse_town_figures(year=year, month=month)
    if commitments_of == CITY_COMMITMENTS:
        commitments, city_commitments = {}, city_commitment_counts(period_end=period_end)
    else:
        commitments = commitment_counts(period_end=period_end, town_id=commitments_of)
        city_commitments = None if commitments_of is not None else {
            key: sum(counts[key] for counts in commitments.values()) for key in COMMITMENT_KEYS}
    targets = _reuse_targets(year)
    towns, city_figures = [], empty_reuse_figures()
    # The towns' ids and names in display order (Town's ordering): a scope needs no more than these.
    for position, (town_pk, town_name) in enumerate(town_names()):
        figures = by_town.get(town_pk) or empty_reuse_figures()
        for key in REUSE_KEYS:
            city_figures[key] += figures[key]
        counted = commitments_of is None or commitments_of == town_pk
        town_commitments = (commitments.get(town_pk) or empty_commitments()) if counted else None
        scope = _scope(town_name, figures, targets.get(town_pk, {}), town_commitments, judge, pk=town_pk)
        scope.position = position
        towns.append(scope)
    city = _scope(_("the city"), city_figures, targets.get(None, {}), city_commitments, judge)
    return ReuseSummary(year=year, month=month, time_progress=progress, city=city, towns=_rank(towns))

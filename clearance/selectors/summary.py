"""The campaign summary of a month: the city, the towns ranked and the counties, against their targets."""

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from ..choices import Metric
from ..models import BulletinFigure, County, Target
from .compiled import compiled_read
from .figures import ZERO, city_figures, empty_figures, town_figures, town_figures_and_month_before, town_names
from .ranking import (
    CampaignSummary, MetricFigure, ScopeSummary, TownRanking, competition_ranks, completion, exact_mean, light_judge,
    time_progress,
)


METRICS = tuple(Metric.values)


def _scope(name: str, figures: dict, targets: dict, judge, **extra) -> ScopeSummary:
    """A scope's figures against its TARGETS, each with its exact completion and its light (by JUDGE, light_judge)."""
    metrics = {}
    for metric in METRICS:
        target = targets.get(metric)
        value = completion(figures[metric], target)
        metrics[metric] = MetricFigure(metric, figures[metric], target, value, judge(value))
    return ScopeSummary(name=name, metrics=metrics, **extra)


def _rank_scopes(scopes: list[ScopeSummary], *, overall: bool) -> list[ScopeSummary]:
    """Give each metric its rank; with OVERALL also the score and overall rank, ranked scopes first."""
    for metric in METRICS:
        ranks = competition_ranks({index: scope.metrics[metric].completion for index, scope in enumerate(scopes)})
        for index, scope in enumerate(scopes):
            scope.metrics[metric].rank = ranks[index]
    if not overall:
        return scopes
    for scope in scopes:
        completions = [figure.completion for figure in scope.metrics.values() if figure.completion is not None]
        scope.score = exact_mean(completions)
    ranks = competition_ranks({index: scope.score for index, scope in enumerate(scopes)})
    for index, scope in enumerate(scopes):
        scope.rank = ranks[index]
    # Stable sort keeps the towns' display order among equals and among the unranked.
    return sorted(scopes, key=lambda scope: (scope.rank is None, scope.rank or 0))


@compiled_read(Target)
def _target_rows(*, year: int) -> QuerySet[Target]:
    return Target.objects.filter(year=year).order_by().values_list("town_id", "metric", "value")


def _targets(year: int) -> dict[int | None, dict[str, Decimal]]:
    """Return the year's targets keyed by town id (None for the city) and metric, in one query."""
    targets: dict[int | None, dict[str, Decimal]] = {}
    for town_id, metric, value in _target_rows(year=year):
        targets.setdefault(town_id, {})[metric] = value
    return targets


@compiled_read(BulletinFigure)
def _latest_bulletin_rows(*, year: int, month: int) -> QuerySet[BulletinFigure]:
    latest_month = (
        BulletinFigure.objects.filter(
            county=OuterRef("county"), metric=OuterRef("metric"), year=year, month__lte=month
        )
        .order_by("-month")
        .values("month")[:1]
    )
    return BulletinFigure.objects.filter(year=year, month=Subquery(latest_month)).values_list(
        "county_id", "metric", "actual", "target"
    )


def _bulletin_figures(year: int, month: int) -> dict[int, dict[str, tuple[Decimal, Decimal | None]]]:
    """Return each county's latest bulletin figure per metric of YEAR at or before MONTH, in one query."""
    figures: dict[int, dict[str, tuple[Decimal, Decimal | None]]] = {}
    for county_id, metric, actual, target in _latest_bulletin_rows(year=year, month=month):
        figures.setdefault(county_id, {})[metric] = (actual, target)
    return figures


def campaign_summary(*, year: int, month: int, previous_ranks: bool = False) -> CampaignSummary:
    """Return the city, towns (ranked) and counties (ranked per metric) as of the end of MONTH in YEAR; with
    PREVIOUS_RANKS also each town's rank at the end of the month before (previous_town_ranks), from the same
    queries (the towns' sums of both months in one).

    Runs a fixed number of queries whatever the number of towns, sites,
    enterprises and events: the database sums, Python only ranks the towns.
    """
    progress = time_progress(month)
    judge = light_judge(progress)
    targets = _targets(year)
    city_actual = city_figures(year=year, month=month)
    city = _scope(
        _("the city"), city_actual, targets.get(None, {}), judge,
        signed=city_actual["signed"], vacated=city_actual["vacated"],
    )
    ranks_before = None
    if previous_ranks:
        now, before = town_figures_and_month_before(year=year, month=month)
        names = town_names()
        towns = _scopes_of(names, now, targets, judge)
        if month > 1:
            ranks_before = _overall_ranks(names, before, targets)
    else:
        towns = _town_scopes(year=year, month=month, targets=targets, judge=judge)
    bulletins = _bulletin_figures(year, month)
    counties = []
    for county in _counties():
        if county.is_home:
            figures, county_targets = city_actual, targets.get(None, {})
        else:
            published = bulletins.get(county.pk, {})
            figures = {metric: published.get(metric, (ZERO, None))[0] for metric in METRICS}
            county_targets = {metric: row[1] for metric, row in published.items() if row[1] is not None}
        counties.append(_scope(county.name, figures, county_targets, judge, pk=county.pk))
    return CampaignSummary(
        year=year,
        month=month,
        time_progress=progress,
        city=city,
        towns=_rank_scopes(towns, overall=True),
        counties=_rank_scopes(counties, overall=False),
        previous_ranks=ranks_before,
    )


def town_ranking(*, year: int, month: int) -> TownRanking:
    """Return the towns ranked as of the end of MONTH in YEAR, as campaign_summary ranks them, without the city's
    figures and the counties' (three queries: a town's page needs no more)."""
    progress = time_progress(month)
    towns = _town_scopes(year=year, month=month, targets=_targets(year), judge=light_judge(progress))
    return TownRanking(year=year, month=month, time_progress=progress, towns=_rank_scopes(towns, overall=True))


def _town_scopes(*, year: int, month: int, targets: dict, judge) -> list[ScopeSummary]:
    """Every town's figures against its targets for the period, unranked (two queries)."""
    return _scopes_of(town_names(), town_figures(year=year, month=month), targets, judge)


def _scopes_of(towns, actual_by_town: dict, targets: dict, judge) -> list[ScopeSummary]:
    """Each of TOWNS ((pk, name) in display order) with its figures (ACTUAL_BY_TOWN) against its targets, unranked."""
    scopes = []
    for pk, name in towns:
        figures = actual_by_town.get(pk) or empty_figures()
        scopes.append(
            _scope(name, figures, targets.get(pk, {}), judge, pk=pk, signed=figures["signed"], vacated=figures["vacated"])
        )
    return scopes


def _overall_ranks(towns, actual_by_town: dict, targets: dict) -> dict[int, int | None]:
    """Each of TOWNS' overall rank by town id, its score worked out as _rank_scopes works it out from its figures
    (ACTUAL_BY_TOWN) against its targets, without the rest of a scope (metric ranks, lights): last month's ranks."""
    empty = empty_figures()
    scores = {}
    for pk, _name in towns:
        figures, town_targets = actual_by_town.get(pk) or empty, targets.get(pk, {})
        completions = [value for metric in METRICS
                       if (value := completion(figures[metric], town_targets.get(metric))) is not None]
        scores[pk] = exact_mean(completions)
    return competition_ranks(scores)


def previous_town_ranks(*, year: int, month: int) -> dict[int, int | None] | None:
    """Return each town's overall rank at the end of the month before MONTH, keyed by town id.

    None in January: the period starts afresh each year, so there is no earlier ranking to compare with.
    """
    if month == 1:
        return None
    # Only the towns' ranking of that month: neither the city's figures nor the counties'.
    # Ranks only: no light is shown for last month.
    return _overall_ranks(town_names(), town_figures(year=year, month=month - 1), _targets(year))


def home_county_id() -> int | None:
    """Return the id of the county whose figures are computed (this city), or None (one query)."""
    return next(iter(_home_county()), None)


@compiled_read(County)
def _home_county() -> QuerySet[County]:
    return County.objects.filter(is_home=True).values_list("pk", flat=True)[:1]


@compiled_read(County)
def _counties() -> QuerySet[County]:
    return County.objects.all()

"""Reads that aggregate: the campaign's figures, computed by the database from dated events."""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Metric, PhotoPhase, Stage
from .models import (
    BulletinFigure,
    County,
    Enterprise,
    Event,
    MonthlyFigure,
    Pairing,
    Photo,
    Site,
    SiteAncestry,
    Target,
    TaskForceMember,
    Town,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
FIGURE_KEYS = (*Metric.values, "signed", "vacated")
DECIMAL_METRICS = frozenset({Metric.LAND_VACATED_MU.value, Metric.ENERGY_FREED_TCE.value})


def period_bounds(*, year: int, month: int) -> tuple[date, date]:
    """Return the first and last day of the period: 1 January to the end of MONTH in YEAR."""
    return date(year, 1, 1), date(year, month, calendar.monthrange(year, month)[1])


def _enterprise_stage(stage: Stage) -> Q:
    return Q(enterprise__isnull=False, stage=stage)


def figure_aggregates() -> dict:
    """Aggregates over events giving every figure of DOMAIN.md for the events in the queryset.

    The one definition of the figures: the monthly rollup (clearance.derived.rollup) is
    computed with it, and `verify_rollups` checks the rollup against it.
    """
    decimal = DecimalField(max_digits=16, decimal_places=2)
    return {
        Metric.ENTERPRISES_RECTIFIED.value: Count("pk", filter=_enterprise_stage(Stage.CLOSED)),
        # Only sites without children count, so an area and a parcel inside it are not both counted.
        Metric.LAND_VACATED_MU.value: Coalesce(
            Sum("site__area_mu", filter=Q(site__isnull=False, site_is_leaf=True)), Value(ZERO), output_field=decimal
        ),
        Metric.ENERGY_FREED_TCE.value: Coalesce(
            Sum("enterprise__energy_freed_tce", filter=_enterprise_stage(Stage.CLOSED)),
            Value(ZERO),
            output_field=decimal,
        ),
        "signed": Count("pk", filter=_enterprise_stage(Stage.SIGNED)),
        "vacated": Count("pk", filter=_enterprise_stage(Stage.VACATED)),
    }


def events_with_leaf_flag() -> QuerySet[Event]:
    """Return the events annotated with `site_is_leaf`, as figure_aggregates needs."""
    has_children = Site.objects.filter(parent_id=OuterRef("site_id"))
    return Event.objects.annotate(site_is_leaf=~Exists(has_children))


def _rollup_sums() -> dict:
    """Sums of the monthly rollup rows giving every figure (see clearance.derived.rollup)."""
    return {key: Coalesce(Sum(key), Value(ZERO if key in DECIMAL_METRICS else 0)) for key in FIGURE_KEYS}


def _rollup_of_period(*, year: int, month: int) -> QuerySet[MonthlyFigure]:
    return MonthlyFigure.objects.filter(year=year, month__lte=month)


def city_figures(*, year: int, month: int) -> dict[str, Decimal | int]:
    """Return the city's figures for the period ending with MONTH of YEAR (one query over the monthly rollup)."""
    return to_cents(_rollup_of_period(year=year, month=month).aggregate(**_rollup_sums()))


def town_figures(*, year: int, month: int) -> dict[int, dict[str, Decimal | int]]:
    """Return each town's figures for the period, keyed by town id; towns without events are absent (one query)."""
    rows = _rollup_of_period(year=year, month=month).order_by().values("town_id").annotate(**_rollup_sums())
    return {row.pop("town_id"): to_cents(row) for row in rows}


def to_cents(figures: dict) -> dict:
    """Round sums of areas and energy to 0.01: SQLite sums decimals as floats."""
    return {key: value.quantize(CENT) if isinstance(value, Decimal) else value for key, value in figures.items()}


def empty_figures() -> dict[str, Decimal | int]:
    """Return the figures of a scope with no events."""
    return {key: (ZERO if key in (Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE) else 0) for key in FIGURE_KEYS}


def latest_period() -> tuple[int, int] | None:
    """Return (year, month) of the latest dated event, or None when nothing is recorded yet."""
    last = Event.objects.order_by("-occurred_on").values_list("occurred_on", flat=True).first()
    return (last.year, last.month) if last else None


# Completion, lights and rankings ------------------------------------------------

LIGHT_GREEN, LIGHT_YELLOW, LIGHT_RED = "green", "yellow", "red"


def round_half_up(value: Fraction | None, places: int = 1) -> float | None:
    """Round an exact value for display the way reports do (四舍五入); None stays None."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def time_progress(month: int) -> Fraction:
    """Return 序时进度 for the as-of MONTH: month ÷ 12 × 100, exact."""
    return Fraction(month * 100, 12)


def completion(actual: Decimal | int, target: Decimal | None) -> Fraction | None:
    """Return actual ÷ target × 100 exactly; None when there is no target or it is 0."""
    if target is None or target == 0:
        return None
    return Fraction(Decimal(actual)) * 100 / Fraction(Decimal(target))


def light(completion_value: Fraction | None, progress: Fraction) -> str | None:
    """Green at or above time progress, yellow within the band below it, red further behind; None without a target."""
    if completion_value is None:
        return None
    if completion_value >= progress:
        return LIGHT_GREEN
    band = Fraction(str(settings.CLEARANCE_YELLOW_BAND_POINTS))
    return LIGHT_YELLOW if completion_value >= progress - band else LIGHT_RED


def competition_ranks(values: dict[Any, Fraction | None]) -> dict[Any, int | None]:
    """Rank KEYS by value, highest first; equal values share a rank (1, 2, 2, 4); None is unranked."""
    ranked = sorted((value for value in values.values() if value is not None), reverse=True)
    first_position = {}
    for position, value in enumerate(ranked, start=1):
        first_position.setdefault(value, position)
    return {key: (None if value is None else first_position[value]) for key, value in values.items()}


@dataclass
class MetricFigure:
    """One metric of one scope: actual, target, exact completion, light and (where ranked) rank."""

    metric: str
    actual: Decimal | int
    target: Decimal | None
    completion: Fraction | None
    light: str | None
    rank: int | None = None

    @property
    def completion_pct(self) -> float | None:
        return round_half_up(self.completion)

    def as_json(self, *, with_rank: bool) -> dict:
        data = {
            "actual": _json_number(self.metric, self.actual),
            "target": None if self.target is None else _json_number(self.metric, self.target),
            "completion_pct": self.completion_pct,
            "light": self.light,
        }
        if with_rank:
            data["rank"] = self.rank
        return data


def _json_number(metric: str, value: Decimal | int) -> float | int:
    """Counts as integers; areas and energy as numbers with two decimals."""
    if metric in DECIMAL_METRICS:
        return float(Decimal(value).quantize(CENT))
    return int(value)


@dataclass
class ScopeSummary:
    """The figures of the city, a town or a county against its targets."""

    name: str
    metrics: dict[str, MetricFigure]
    signed: int | None = None
    vacated: int | None = None
    pk: int | None = None
    score: Fraction | None = None
    rank: int | None = None

    @property
    def score_pct(self) -> float | None:
        return round_half_up(self.score)


@dataclass
class CampaignSummary:
    """Everything the dashboard and /api/summary/ show for one as-of month."""

    year: int
    month: int
    time_progress: Fraction
    city: ScopeSummary
    towns: list[ScopeSummary] = field(default_factory=list)
    counties: list[ScopeSummary] = field(default_factory=list)

    @property
    def time_progress_pct(self) -> float:
        return round_half_up(self.time_progress)

    def as_json(self) -> dict:
        """Return the summary in the shape DOMAIN.md fixes for /api/summary/."""
        return {
            "year": self.year,
            "month": self.month,
            "time_progress_pct": self.time_progress_pct,
            "metrics": {key: figure.as_json(with_rank=False) for key, figure in self.city.metrics.items()},
            "signed": self.city.signed,
            "vacated": self.city.vacated,
            "towns": [
                {
                    "name": town.name,
                    "rank": town.rank,
                    "score": round_half_up(town.score),
                    "metrics": {key: figure.as_json(with_rank=True) for key, figure in town.metrics.items()},
                    "signed": town.signed,
                    "vacated": town.vacated,
                }
                for town in self.towns
            ],
            "counties": [
                {
                    "name": county.name,
                    "metrics": {key: figure.as_json(with_rank=True) for key, figure in county.metrics.items()},
                }
                for county in self.counties
            ],
        }


def _scope(name: str, figures: dict, targets: dict, progress: Fraction, **extra) -> ScopeSummary:
    metrics = {}
    for metric in Metric.values:
        target = targets.get(metric)
        value = completion(figures[metric], target)
        metrics[metric] = MetricFigure(metric, figures[metric], target, value, light(value, progress))
    return ScopeSummary(name=name, metrics=metrics, **extra)


def _rank_scopes(scopes: list[ScopeSummary], *, overall: bool) -> list[ScopeSummary]:
    """Give each metric its rank; with OVERALL also the score and overall rank, ranked scopes first."""
    for metric in Metric.values:
        ranks = competition_ranks({index: scope.metrics[metric].completion for index, scope in enumerate(scopes)})
        for index, scope in enumerate(scopes):
            scope.metrics[metric].rank = ranks[index]
    if not overall:
        return scopes
    for scope in scopes:
        completions = [figure.completion for figure in scope.metrics.values() if figure.completion is not None]
        scope.score = sum(completions, Fraction(0)) / len(completions) if completions else None
    ranks = competition_ranks({index: scope.score for index, scope in enumerate(scopes)})
    for index, scope in enumerate(scopes):
        scope.rank = ranks[index]
    # Stable sort keeps the towns' display order among equals and among the unranked.
    return sorted(scopes, key=lambda scope: (scope.rank is None, scope.rank or 0))


def _targets(year: int) -> dict[int | None, dict[str, Decimal]]:
    """Return the year's targets keyed by town id (None for the city) and metric, in one query."""
    targets: dict[int | None, dict[str, Decimal]] = {}
    for town_id, metric, value in Target.objects.filter(year=year).order_by().values_list("town_id", "metric", "value"):
        targets.setdefault(town_id, {})[metric] = value
    return targets


def _bulletin_figures(year: int, month: int) -> dict[int, dict[str, tuple[Decimal, Decimal | None]]]:
    """Return each county's latest bulletin figure per metric of YEAR at or before MONTH, in one query."""
    latest_month = (
        BulletinFigure.objects.filter(
            county=OuterRef("county"), metric=OuterRef("metric"), year=year, month__lte=month
        )
        .order_by("-month")
        .values("month")[:1]
    )
    rows = BulletinFigure.objects.filter(year=year, month=Subquery(latest_month)).values_list(
        "county_id", "metric", "actual", "target"
    )
    figures: dict[int, dict[str, tuple[Decimal, Decimal | None]]] = {}
    for county_id, metric, actual, target in rows:
        figures.setdefault(county_id, {})[metric] = (actual, target)
    return figures


def campaign_summary(*, year: int, month: int) -> CampaignSummary:
    """Return the city, towns (ranked) and counties (ranked per metric) as of the end of MONTH in YEAR.

    Runs a fixed number of queries whatever the number of towns, sites,
    enterprises and events: the database sums, Python only ranks the towns.
    """
    progress = time_progress(month)
    targets = _targets(year)
    city_actual = city_figures(year=year, month=month)
    city = _scope(
        _("the city"), city_actual, targets.get(None, {}), progress,
        signed=city_actual["signed"], vacated=city_actual["vacated"],
    )
    towns = _town_scopes(year=year, month=month, targets=targets, progress=progress)
    bulletins = _bulletin_figures(year, month)
    counties = []
    for county in County.objects.all():
        if county.is_home:
            figures, county_targets = city_actual, targets.get(None, {})
        else:
            published = bulletins.get(county.pk, {})
            figures = {metric: published.get(metric, (ZERO, None))[0] for metric in Metric.values}
            county_targets = {metric: row[1] for metric, row in published.items() if row[1] is not None}
        counties.append(_scope(county.name, figures, county_targets, progress, pk=county.pk))
    return CampaignSummary(
        year=year,
        month=month,
        time_progress=progress,
        city=city,
        towns=_rank_scopes(towns, overall=True),
        counties=_rank_scopes(counties, overall=False),
    )


def _town_scopes(*, year: int, month: int, targets: dict, progress: Fraction) -> list[ScopeSummary]:
    """Every town's figures against its targets for the period, unranked (two queries)."""
    actual_by_town = town_figures(year=year, month=month)
    towns = []
    for town in Town.objects.all():
        figures = actual_by_town.get(town.pk) or empty_figures()
        towns.append(
            _scope(town.name, figures, targets.get(town.pk, {}), progress,
                   pk=town.pk, signed=figures["signed"], vacated=figures["vacated"])
        )
    return towns


def default_period() -> tuple[int, int]:
    """Return the dashboard's default (year, month): the latest month with events in the latest year with targets.

    Without targets, the latest month with events; with no events at all, the current month.
    """
    today = timezone.localdate()
    target_year = Target.objects.filter(town__isnull=True).order_by("-year").values_list("year", flat=True).first()
    events = Event.objects.order_by("-occurred_on")
    if target_year is not None:
        last = events.filter(occurred_on__year=target_year).values_list("occurred_on", flat=True).first()
        if last is not None:
            return last.year, last.month
        return (target_year, today.month) if target_year == today.year else (target_year, 12)
    return latest_period() or (today.year, today.month)


def monthly_trend(*, year: int, month: int, town: Town | None = None) -> list[dict]:
    """Return, for each month 1…MONTH of YEAR, the cumulative figures to the end of that month (one query).

    With TOWN, only that town's events count.
    """
    rows = _rollup_of_period(year=year, month=month)
    if town is not None:
        rows = rows.filter(town=town)
    by_month = {row.pop("month"): to_cents(row) for row in rows.order_by().values("month").annotate(**_rollup_sums())}
    running = empty_figures()
    trend = []
    for each_month in range(1, month + 1):
        for key, value in by_month.get(each_month, {}).items():
            running[key] += value
        trend.append({"month": each_month, **running})
    return trend


def with_enterprise_stage(enterprises: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    """Annotate `stage`: the most advanced stage an enterprise has reached (None before any event)."""
    return enterprises.annotate(stage=enterprise_stage_subquery(OuterRef("pk")))


def enterprise_stage_subquery(enterprise_ref) -> Subquery:
    return Subquery(
        Event.objects.filter(enterprise=enterprise_ref).order_by().values("enterprise").annotate(top=Max("stage")).values("top")[:1],
        output_field=IntegerField(),
    )


NOT_STARTED = 0  # an enterprise with no event yet, for the least-advanced rule


def with_site_stage(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate `stage`: 腾退 once the site's own event is recorded, else the least advanced stage of its enterprises.

    0 (NOT_STARTED) where an enterprise has no event yet; None for a site without enterprises.
    """
    least_advanced = Subquery(
        Enterprise.objects.filter(site=OuterRef("pk"))
        .annotate(reached=Coalesce(enterprise_stage_subquery(OuterRef("pk")), Value(NOT_STARTED)))
        .order_by("reached")
        .values("reached")[:1],
        output_field=IntegerField(),
    )
    site_vacated = Exists(Event.objects.filter(site=OuterRef("pk")))
    return sites.annotate(
        stage=Case(When(site_vacated, then=Value(int(Stage.VACATED))), default=least_advanced, output_field=IntegerField())
    )


def with_site_progress(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate enterprise_count, signed_count and vacated_count, counting the enterprises on the site and inside it.

    A stage counts once reached, whatever its date (the site page shows progress to date).
    """

    def counted(queryset: QuerySet) -> Coalesce:
        return Coalesce(
            Subquery(
                queryset.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    # "On the site or inside it" at any depth: through the site tree (SiteAncestry), one indexed join per count.
    # Subqueries rather than joins: joining events and enterprises at once would multiply the counts.
    site = OuterRef("pk")
    return sites.annotate(
        enterprise_count=counted(Enterprise.objects.filter(site__ancestry__ancestor=site)),
        signed_count=counted(Event.objects.filter(enterprise__site__ancestry__ancestor=site, stage=Stage.SIGNED)),
        vacated_count=counted(Event.objects.filter(enterprise__site__ancestry__ancestor=site, stage=Stage.VACATED)),
    )


# Pages where progress is recorded ----------------------------------------------


def with_enterprise_overdue(enterprises: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    """Annotate `is_overdue`: the plan deadline has passed and the enterprise has not been closed out."""
    closed = Exists(Event.objects.filter(enterprise=OuterRef("pk"), stage=Stage.CLOSED))
    return enterprises.annotate(
        is_overdue=Case(
            When(Q(plan_deadline__lt=timezone.localdate()) & ~closed, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def with_site_overdue(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate `is_overdue`: the site's deadline has passed and the site has not been recorded as vacated."""
    vacated = Exists(Event.objects.filter(site=OuterRef("pk")))
    return sites.annotate(
        is_overdue=Case(
            When(Q(deadline__lt=timezone.localdate()) & ~vacated, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def workspace_sites(*, town: Town) -> QuerySet[Site]:
    """Return TOWN's sites with stage, progress counts (child parcels included) and overdue flag."""
    sites = Site.objects.filter(town=town).select_related("parent").order_by("name")
    return with_site_overdue(with_site_progress(with_site_stage(sites)))


def workspace_enterprises(*, town: Town) -> QuerySet[Enterprise]:
    """Return TOWN's enterprises with their stage and overdue flag, site and attack group joined."""
    enterprises = Enterprise.objects.filter(town=town).select_related("site", "responsible_group").order_by("name")
    return with_enterprise_overdue(with_enterprise_stage(enterprises))


def site_page_queryset() -> QuerySet[Site]:
    """Return sites ready for their page: stage, progress, overdue, town and parent; children and enterprises prefetched.

    A fixed number of queries however many enterprises and events a site has.
    """
    children = with_site_progress(with_site_stage(Site.objects.order_by("name")))
    enterprises = with_enterprise_overdue(with_enterprise_stage(Enterprise.objects.order_by("name")))
    return with_site_overdue(with_site_progress(with_site_stage(Site.objects.select_related("town", "parent")))).prefetch_related(
        Prefetch("children", queryset=children),
        Prefetch("enterprises", queryset=enterprises),
        Prefetch("events", queryset=Event.objects.select_related("recorded_by")),
    )


def enterprise_page_queryset() -> QuerySet[Enterprise]:
    """Return enterprises ready for their page: stage, overdue, town, site, attack group; events with photos."""
    events = Event.objects.select_related("recorded_by").prefetch_related("photos").order_by("stage")
    return with_enterprise_overdue(
        with_enterprise_stage(Enterprise.objects.select_related("town", "site", "responsible_group"))
    ).prefetch_related(Prefetch("events", queryset=events))


@dataclass(frozen=True)
class SiteSubtree:
    """The ids of a site, the parcels inside it at any depth, and the enterprises on any of them."""

    site_ids: tuple[int, ...]
    enterprise_ids: tuple[int, ...]

    def events(self, prefix: str = "") -> Q:
        """Events of these sites or enterprises: two index lookups, where an OR across an event's site and
        its enterprise's site would scan every event."""
        return Q(**{f"{prefix}site_id__in": self.site_ids}) | Q(**{f"{prefix}enterprise_id__in": self.enterprise_ids})


def site_subtree(*, site: Site) -> SiteSubtree:
    """Return SITE's subtree (two small indexed queries, through the site tree)."""
    site_ids = tuple(SiteAncestry.objects.filter(ancestor=site).values_list("site_id", flat=True))
    return SiteSubtree(site_ids, tuple(Enterprise.objects.filter(site_id__in=site_ids).values_list("pk", flat=True)))


def site_timeline(*, subtree: SiteSubtree, limit: int | None = None) -> list[Event]:
    """Return the events of a site's SUBTREE, newest first, with photos (two queries)."""
    events = (
        Event.objects.filter(subtree.events())
        .select_related("enterprise", "site", "recorded_by")
        .prefetch_related("photos")
        .order_by("-occurred_on", "-stage", "-pk")
    )
    return list(events[:limit] if limit else events)


def site_photos(*, subtree: SiteSubtree) -> QuerySet[Photo]:
    """Return the photos of the events of a site's SUBTREE, oldest first."""
    return (
        Photo.objects.filter(subtree.events("event__"))
        .select_related("event", "event__enterprise")
        .order_by("event__occurred_on", "uploaded_at", "pk")
    )


def photos_by_phase(photos) -> list[tuple[str, str, list[Photo]]]:
    """Group PHOTOS by phase in the order before, during, after: (value, label, photos) for each phase."""
    groups = {phase: [] for phase in PhotoPhase.values}
    for photo in photos:
        groups.setdefault(photo.phase, []).append(photo)
    return [(phase, PhotoPhase(phase).label, groups[phase]) for phase in PhotoPhase.values]


@dataclass
class HistoryEntry:
    """One change of a record as its page shows it: who, when, what, and each field's old and new value."""

    when: Any
    user: Any
    kind: str  # "+" created, "~" changed, "-" deleted
    subject: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


def change_history(records: QuerySet, *, describe, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest LIMIT historical RECORDS, newest first, each diffed against the record before it.

    DESCRIBE(record) names the record's subject. Two queries: the latest
    records, then every earlier version of the same rows; foreign keys come
    with RECORDS' select_related, so the diff reads no more.
    """
    latest = list(records.order_by("-history_date", "-history_id")[:limit])
    ids = {record.id for record in latest}
    earlier: dict[int, list] = {}
    for record in records.model.objects.filter(id__in=ids).select_related(*_history_relations(records)).order_by(
        "history_date", "history_id"
    ):
        earlier.setdefault(record.id, []).append(record)
    entries = []
    for record in latest:
        versions = earlier.get(record.id, [])
        position = next((i for i, each in enumerate(versions) if each.history_id == record.history_id), 0)
        changes = []
        if record.history_type == "~" and position > 0:
            delta = record.diff_against(versions[position - 1], foreign_keys_are_objs=True)
            for change in delta.changes:
                field_object = records.model._meta.get_field(change.field)
                changes.append((field_object.verbose_name, _history_value(field_object, change.old),
                                _history_value(field_object, change.new)))
            if not changes:
                continue  # a save that changed nothing shown (the version only)
        entries.append(
            HistoryEntry(when=record.history_date, user=record.history_user, kind=record.history_type,
                         subject=describe(record), changes=changes)
        )
    return entries


def _history_relations(records: QuerySet) -> list[str]:
    related = records.query.select_related
    return list(related) if isinstance(related, dict) else []


def _history_value(field_object, value):
    """Show a stored value as the page does: the label of a choice, the name of a related row, — for nothing."""
    if value is None or value == "":
        return "—"
    if getattr(field_object, "choices", None):
        return dict(field_object.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _event_subject(record) -> str:
    stage = Stage(record.stage).label
    subject = record.enterprise or record.site
    return f"{subject} · {stage}" if subject else str(stage)


def site_history(*, site: Site, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of SITE and of the events of it and its enterprises, deleted events included."""
    site_records = Site.history.filter(id=site.pk).select_related("history_user", "town", "parent")
    # The enterprises' ids first (the site page has them prefetched): two indexed lookups in the history,
    # where an OR across the history row and its enterprise's site would scan every event's history.
    enterprise_ids = [enterprise.pk for enterprise in site.enterprises.all()]
    event_records = Event.history.filter(Q(site_id=site.pk) | Q(enterprise_id__in=enterprise_ids)).select_related(
        "history_user", "enterprise", "site"
    )
    entries = change_history(site_records, describe=lambda record: record.name, limit=limit)
    entries += change_history(event_records, describe=_event_subject, limit=limit)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


def enterprise_history(*, enterprise: Enterprise, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of ENTERPRISE and of its events, deleted events included."""
    records = Enterprise.history.filter(id=enterprise.pk).select_related(
        "history_user", "town", "site", "responsible_group"
    )
    event_records = Event.history.filter(enterprise_id=enterprise.pk).select_related("history_user", "enterprise")
    entries = change_history(records, describe=lambda record: record.name, limit=limit)
    entries += change_history(event_records, describe=_event_subject, limit=limit)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


# The dashboard, the town page and the battle board ---------------------------------


def campaign_years() -> list[int]:
    """Return the years that have a target or a figure, oldest first (one query over small tables)."""
    target_years = Target.objects.order_by().values_list("year", flat=True)
    figure_years = MonthlyFigure.objects.order_by().values_list("year", flat=True)
    return sorted(set(target_years.union(figure_years)))


def previous_town_ranks(*, year: int, month: int) -> dict[int, int | None] | None:
    """Return each town's overall rank at the end of the month before MONTH, keyed by town id.

    None in January: the period starts afresh each year, so there is no earlier ranking to compare with.
    """
    if month == 1:
        return None
    # Only the towns' ranking of that month: neither the city's figures nor the counties'.
    towns = _town_scopes(year=year, month=month - 1, targets=_targets(year), progress=time_progress(month - 1))
    return {town.pk: town.rank for town in _rank_scopes(towns, overall=True)}


def rank_change(*, rank: int | None, previous: int | None) -> int | None:
    """Return the places climbed since the previous ranking (negative: fallen); None unless ranked both times."""
    if rank is None or previous is None:
        return None
    return previous - rank


def completion_gap(figure: MetricFigure, progress: Fraction) -> Fraction | None:
    """Return completion minus 序时进度 in percentage points, exactly (negative: behind time); None without a target."""
    return None if figure.completion is None else figure.completion - progress


def home_county_id() -> int | None:
    """Return the id of the county whose figures are computed (this city), or None (one query)."""
    return County.objects.filter(is_home=True).values_list("pk", flat=True).first()


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
    """Return every site for the battle board with town and parent, stage, progress counts and overdue flag (one query)."""
    sites = Site.objects.select_related("town", "parent").order_by("town__display_order", "town__name", "name")
    return with_site_overdue(with_site_progress(with_site_stage(sites)))


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

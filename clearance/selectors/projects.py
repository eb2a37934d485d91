"""Projects as the pages show them (换鸟): the stage reached, commitments due and overdue, land free to take, history."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Exists,
    F,
    IntegerField,
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
from django.db.models.lookups import IsNull
from django.utils import timezone

from ..choices import ProjectKind, ProjectStage
from ..models import Event, IndicatorRow, Project, ProjectEvent, ProjectPhoto, ProjectSite, Site
from ..validators import CONTROL_CHARACTERS
from .figures import default_period, period_bounds
from .history import HistoryEntry, change_history

AREA = DecimalField(max_digits=16, decimal_places=2)
# The commitment column of a 招商项目 not due by the period's end (its 达产 date later, or none committed).
NOT_DUE = "not_due"

# A committed date and the stage that keeps it (复垦: its deadline and 验收).
COMMITTED_STAGES = (
    ("committed_start_on", ProjectStage.CONSTRUCTION_STARTED, ProjectKind.INVESTMENT),
    ("committed_production_on", ProjectStage.IN_PRODUCTION, ProjectKind.INVESTMENT),
    ("committed_full_production_on", ProjectStage.FULL_PRODUCTION, ProjectKind.INVESTMENT),
    ("deadline", ProjectStage.ACCEPTED, ProjectKind.RECLAMATION),
)


def commitment_period_end() -> date:
    """The day commitments are judged due by: the end of the default period (the latest closed month)."""
    year, month = default_period()
    return period_bounds(year=year, month=month)[1]


def _latest_event() -> QuerySet[ProjectEvent]:
    return ProjectEvent.objects.filter(project=OuterRef("pk")).order_by("-stage")


def _overdue(as_of: date, missing) -> Q:
    """A project overdue by AS_OF: a committed date of its kind passed with its stage not recorded by then. MISSING
    turns the events that would keep a date into "there is none" (the caller's SQL form of it)."""
    overdue = Q()
    for name, stage, kind in COMMITTED_STAGES:
        kept = ProjectEvent.objects.filter(project=OuterRef("pk"), stage=stage, occurred_on__lte=as_of).order_by()
        overdue |= Q(kind=kind, **{f"{name}__lt": as_of}) & missing(kept)
    return overdue


def overdue_projects(*, as_of: date | None = None) -> Q:
    """The projects overdue by AS_OF (today), as a filter: with_project_progress's is_overdue, for a whole list.

    NOT EXISTS, which PostgreSQL runs as one hashed anti-join per committed date over the whole list, where
    filtering on the annotation probes an index four times per project (at 20,000 projects the list's count
    58 → 26 ms, its page 84 → 53 ms).
    """
    return _overdue(as_of or timezone.localdate(), lambda kept: ~Exists(kept))


def with_project_progress(projects: QuerySet[Project], *, as_of: date | None = None,
                          period_end: date | None = None) -> QuerySet[Project]:
    """Annotate `stage` and `stage_on` (the most advanced stage reached and its date), `commitment_state`
    (met, missed, unverified; not_due; '' for a 复垦) and `is_overdue`: by AS_OF (today) a committed date
    passed with its stage not recorded by then (复垦: the deadline and 验收)."""
    as_of = as_of or timezone.localdate()
    period_end = period_end or commitment_period_end()
    # A scalar subquery, not EXISTS: PostgreSQL hashes an EXISTS of the select list over every event of the
    # stage (a list of 20,000 projects: 30 ms for a page of 50), where this is one index probe a row shown.
    overdue = _overdue(as_of, lambda kept: IsNull(Subquery(kept.values("pk")[:1]), True))
    return projects.annotate(
        stage=Subquery(_latest_event().values("stage")[:1], output_field=IntegerField()),
        stage_on=Subquery(_latest_event().values("occurred_on")[:1]),
        commitment_state=Case(
            When(~Q(kind=ProjectKind.INVESTMENT), then=Value("")),
            When(Q(committed_full_production_on__isnull=True) | Q(committed_full_production_on__gt=period_end),
                 then=Value(NOT_DUE)),
            default=F("commitment"),
            output_field=CharField(),
        ),
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def project_list(*, as_of: date | None = None) -> QuerySet[Project]:
    """Return every project with its town and progress, for the list (a fixed number of queries)."""
    return with_project_progress(Project.objects.select_related("town"), as_of=as_of).order_by(
        "town__display_order", "town__name", "name"
    )


def project_page_queryset() -> QuerySet[Project]:
    """Return projects ready for their page: progress, town and operator; land with each site's 腾退 date;
    events with photos and who recorded them."""
    vacated_on = Event.objects.filter(site_id=OuterRef("site_id")).values("occurred_on")[:1]
    allocations = (
        ProjectSite.objects.select_related("site__parent").annotate(vacated_on=Subquery(vacated_on))
        .order_by("site__name")
    )
    events = ProjectEvent.objects.select_related("recorded_by").prefetch_related("photos").order_by("stage")
    return with_project_progress(Project.objects.select_related("town", "operator")).prefetch_related(
        Prefetch("allocations", queryset=allocations), Prefetch("events", queryset=events)
    )


def next_project_stage(project: Project, recorded) -> ProjectStage | None:
    """Return the first stage of PROJECT's kind not among RECORDED (stage values), or None when all are."""
    done = set(recorded)
    return next((stage for stage in project.stages if stage not in done), None)


@dataclass
class CommittedDate:
    """A date a project committed to, the stage that keeps it, and whether it passed without that stage."""

    label: str
    on: date | None
    stage: ProjectStage
    reached_on: date | None
    overdue: bool


def committed_dates(project: Project, events, *, as_of: date | None = None) -> list[CommittedDate]:
    """Return PROJECT's committed dates (those of its kind) against its EVENTS: kept, pending, or overdue by AS_OF."""
    as_of = as_of or timezone.localdate()
    reached = {event.stage: event.occurred_on for event in events}
    dates = []
    for name, stage, kind in COMMITTED_STAGES:
        if project.kind != kind:
            continue
        on, reached_on = getattr(project, name), reached.get(stage)
        overdue = on is not None and on < as_of and (reached_on is None or reached_on > as_of)
        dates.append(CommittedDate(Project._meta.get_field(name).verbose_name, on, stage, reached_on, overdue))
    return dates


def project_photos(events) -> list[ProjectPhoto]:
    """Return the photos of EVENTS (photos prefetched), oldest first."""
    photos = [photo for event in events for photo in event.photos.all()]
    return sorted(photos, key=lambda photo: (photo.event.occurred_on, photo.uploaded_at, photo.pk))


# Land ----------------------------------------------------------------------------------------------------


def with_free_area(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate `taken_mu` (the land all projects take from a site) and `free_mu`, and `vacated_on`."""
    taken = (
        ProjectSite.objects.filter(site=OuterRef("pk")).order_by().values("site")
        .annotate(total=Sum("area_mu")).values("total")[:1]
    )
    vacated_on = Event.objects.filter(site=OuterRef("pk")).values("occurred_on")[:1]
    return sites.annotate(
        taken_mu=Coalesce(Subquery(taken, output_field=AREA), Value(Decimal("0")), output_field=AREA),
        free_mu=F("area_mu") - F("taken_mu"),
        vacated_on=Subquery(vacated_on),
    )


# The land picker lists this many matching sites at most; a town has thousands at province scale.
LAND_MATCHES = 20
# The search text is cut to this many characters (a site's name has at most 100).
LAND_SEARCH_LENGTH = 50


def land_sites(*, town) -> QuerySet[Site]:
    """TOWN's leaf sites (land is taken from parcels) with their free land and 腾退 date."""
    leaves = Site.objects.filter(town=town).filter(~Exists(Site.objects.filter(parent_id=OuterRef("pk"))))
    return with_free_area(leaves)


def land_search_text(text: str) -> str:
    """TEXT as the land picker searches it: control characters dropped (PostgreSQL refuses a NUL), cut, trimmed."""
    return CONTROL_CHARACTERS.sub("", text)[:LAND_SEARCH_LENGTH].strip()


@dataclass
class LandMatches:
    """The leaf sites of a town whose name contains the search text, by name: at most LAND_MATCHES of them."""

    text: str
    sites: list[Site]
    more: bool  # more sites match than are listed


def land_matches(*, town, text: str, exclude: int | None = None) -> LandMatches:
    """Return TOWN's leaf sites whose name contains TEXT (any case), by name, at most LAND_MATCHES (one query).

    EXCLUDE: the id of a site shown already (the one chosen), left out of the list.
    """
    text = land_search_text(text)
    sites = land_sites(town=town).order_by("name", "pk")
    if text:
        sites = sites.filter(name__icontains=text)
    if exclude is not None:
        sites = sites.exclude(pk=exclude)
    found = list(sites[: LAND_MATCHES + 1])
    return LandMatches(text=text, sites=found[:LAND_MATCHES], more=len(found) > LAND_MATCHES)


def land_site(*, town, pk: int) -> Site | None:
    """Return TOWN's leaf site PK with its free land and 腾退 date; None when it is none of TOWN's (one query)."""
    return land_sites(town=town).filter(pk=pk).order_by().first()


# 履约 ----------------------------------------------------------------------------------------------------


@dataclass
class CommitmentReason:
    """Why a project's commitment is in its state: the evaluation rows judged by, or what is missing."""

    state: str
    period_end: date
    rows: list
    used: IndicatorRow | None = None
    missing: str = ""  # no_tax, no_operator, no_full_production_date, no_evaluation


def commitment_reason(project: Project, *, period_end: date | None = None) -> CommitmentReason | None:
    """Return the reason of PROJECT's commitment state (annotated by with_project_progress), None for a 复垦.

    The rows are the operator's evaluations of the committed 达产 year or later with a 亩均税收 (one query);
    the one used is the latest reaching the commitment when met, else the latest.
    """
    if project.kind != ProjectKind.INVESTMENT:
        return None
    period_end = period_end or commitment_period_end()
    reason = CommitmentReason(state=project.commitment_state, period_end=period_end, rows=[])
    if project.committed_full_production_on is None:
        reason.missing = "no_full_production_date"
    elif project.committed_tax_per_mu_wan is None:
        reason.missing = "no_tax"
    elif project.operator_id is None:
        reason.missing = "no_operator"
    if reason.missing:
        return reason
    reason.rows = list(
        IndicatorRow.objects.filter(
            enterprise_id=project.operator_id, year__gte=project.committed_full_production_on.year, land_mu__gt=0,
            tax_wan__isnull=False,
        ).order_by("-year")
    )
    if not reason.rows:
        reason.missing = "no_evaluation"
        return reason
    reaching = [row for row in reason.rows if row.tax_wan >= project.committed_tax_per_mu_wan * row.land_mu]
    reason.used = (reaching or reason.rows)[0]
    return reason


# History -------------------------------------------------------------------------------------------------


def _event_subject(record) -> str:
    return str(ProjectStage(record.stage).label)


def project_history(*, project: Project, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of PROJECT, its land and its stages (deleted ones included), newest first."""
    records = Project.history.filter(id=project.pk).select_related("history_user", "town", "operator")
    land = ProjectSite.history.filter(project_id=project.pk).select_related("history_user", "site")
    events = ProjectEvent.history.filter(project_id=project.pk).select_related("history_user")
    entries = change_history(records, describe=lambda record: record.name, limit=limit)
    entries += change_history(land, describe=lambda record: f"{record.site}", limit=limit)
    entries += change_history(events, describe=_event_subject, limit=limit)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


"""A site's life in one place: the enterprises that left, the day it was vacated, the projects that took its land."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..choices import PROJECT_STAGES, ProjectKind, Stage
from ..models import Enterprise, Event, Photo, ProjectEvent, ProjectPhoto, ProjectSite, Site
from .projects import AREA, with_free_area
from .sites import SiteSubtree

# Photos shown on each side of the before and after.
PHOTOS_EACH_SIDE = 8


@dataclass
class ProjectOnSite:
    """A project taking land of the site (or of its parcels): its land here, parcel by parcel, and its progress."""

    project: object
    area_here: Decimal
    stage: int | None
    reached: int
    stage_count: int
    parcels: list = field(default_factory=list)  # (site, area) taken here

    @property
    def progress_pct(self) -> int:
        return round(self.reached * 100 / self.stage_count) if self.stage_count else 0


@dataclass
class SiteReuse:
    """What left the site, when it was emptied, and what took its place: before and after."""

    departed: list
    vacated: list  # 腾退 events of the site and its parcels, with their site
    projects: list[ProjectOnSite]
    before: list
    after: list
    free_mu: Decimal
    can_create: bool


def _stage_of(stage: Stage):
    return Subquery(
        Event.objects.filter(enterprise=OuterRef("pk"), stage=stage).values("occurred_on")[:1]
    )


def departed_enterprises(*, subtree: SiteSubtree) -> QuerySet[Enterprise]:
    """The enterprises of a site's SUBTREE that have been vacated or closed out, with both dates (one query)."""
    return (
        Enterprise.objects.filter(pk__in=subtree.enterprise_ids)
        .annotate(vacated_on=_stage_of(Stage.VACATED), closed_on=_stage_of(Stage.CLOSED))
        .filter(Exists(Event.objects.filter(enterprise=OuterRef("pk"), stage__in=[Stage.VACATED, Stage.CLOSED])))
        .select_related("site")
        .order_by("vacated_on", "closed_on", "name")
    )


def _allocations_here(subtree: SiteSubtree) -> QuerySet[ProjectSite]:
    latest = ProjectEvent.objects.filter(project=OuterRef("project_id")).order_by("-stage")
    reached = (
        ProjectEvent.objects.filter(project=OuterRef("project_id")).order_by().values("project")
        .annotate(n=Count("pk")).values("n")[:1]
    )
    here = (
        ProjectSite.objects.filter(project=OuterRef("project_id"), site_id__in=subtree.site_ids).order_by()
        .values("project").annotate(total=Sum("area_mu")).values("total")[:1]
    )
    return (
        ProjectSite.objects.filter(site_id__in=subtree.site_ids)
        .select_related("project__town", "site")
        .annotate(
            project_stage=Subquery(latest.values("stage")[:1], output_field=IntegerField()),
            reached=Coalesce(Subquery(reached, output_field=IntegerField()), Value(0)),
            area_here=Subquery(here, output_field=AREA),
        )
        .order_by("project__name", "site__name")
    )


def site_reuse(*, site: Site, subtree: SiteSubtree, can_write: bool) -> SiteReuse:
    """Return SITE's life: departed enterprises, 腾退 dates, projects on its land, photos before and after.

    A fixed number of queries (six) whatever the number of enterprises, parcels, projects and photos.
    """
    departed = list(departed_enterprises(subtree=subtree))
    vacated = list(
        Event.objects.filter(site_id__in=subtree.site_ids).select_related("site").order_by("occurred_on", "site__name")
    )
    projects: dict[int, ProjectOnSite] = {}
    for allocation in _allocations_here(subtree):
        project = allocation.project
        entry = projects.get(project.pk)
        if entry is None:
            entry = projects[project.pk] = ProjectOnSite(
                project=project, area_here=allocation.area_here, stage=allocation.project_stage,
                reached=allocation.reached, stage_count=len(PROJECT_STAGES[ProjectKind(project.kind)]),
            )
        entry.parcels.append((allocation.site, allocation.area_mu))
    before = list(
        Photo.objects.filter(subtree.events("event__")).select_related("event__enterprise", "event__site")
        .order_by("-event__occurred_on", "-uploaded_at", "-pk")[:PHOTOS_EACH_SIDE]
    )
    project_ids = ProjectSite.objects.filter(site_id__in=subtree.site_ids).values("project_id")
    after = list(
        ProjectPhoto.objects.filter(event__project_id__in=project_ids).select_related("event__project")
        .order_by("-event__occurred_on", "-uploaded_at", "-pk")[:PHOTOS_EACH_SIDE]
    )
    free = with_free_area(
        Site.objects.filter(pk__in=subtree.site_ids)
        .filter(Exists(Event.objects.filter(site=OuterRef("pk"))))
        .filter(~Exists(Site.objects.filter(parent_id=OuterRef("pk"))))
    ).aggregate(total=Sum("free_mu"))["total"]
    free_mu = Decimal(str(free or 0)).quantize(Decimal("0.01"))
    return SiteReuse(
        departed=departed, vacated=vacated, projects=list(projects.values()), before=before, after=after,
        free_mu=free_mu, can_create=can_write and free_mu > 0,
    )

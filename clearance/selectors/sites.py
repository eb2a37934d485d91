"""Sites and enterprises as the pages show them: stage, progress inside an area at any depth, overdue, photos."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
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

from ..choices import PhotoPhase, Stage
from ..models import Enterprise, Event, Photo, Site, SiteAncestry, Town


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
    """Annotate `stage`: 腾退 once the site's own event is recorded, else the least advanced stage of the
    enterprises on it and on the parcels inside it at any depth (an area is placed by what is inside it).

    0 (NOT_STARTED) where an enterprise has no event yet; None where there is no enterprise at all.
    """
    least_advanced = Subquery(
        Enterprise.objects.filter(site__ancestry__ancestor=OuterRef("pk"))
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
    """Annotate what is on the site and inside it at any depth, to date.

    enterprise_count, signed_count, vacated_count and closed_count count enterprises (a stage once reached,
    whatever its date); parcel_count, parcels_vacated_count and vacated_area_mu count the parcels that
    carry land (sites without parcels inside: an area's land is theirs), the site itself when it is one.
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
        closed_count=counted(Event.objects.filter(enterprise__site__ancestry__ancestor=site, stage=Stage.CLOSED)),
        has_parcels=Exists(Site.objects.filter(parent_id=site)),
        parcel_count=counted(_leaf_sites().filter(ancestry__ancestor=site)),
        parcels_vacated_count=counted(_leaf_sites().filter(ancestry__ancestor=site, events__isnull=False)),
        vacated_area_mu=Coalesce(
            Subquery(
                _leaf_sites().filter(ancestry__ancestor=site, events__isnull=False).order_by()
                .annotate(one=Value(1)).values("one").annotate(total=Sum("area_mu")).values("total")[:1],
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            Value(Decimal("0.00")),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        ),
    )


# What with_site_stage and with_site_progress annotate, stored per site by derived.site_progress.
STORED_PROGRESS = ("stage", "enterprise_count", "signed_count", "vacated_count", "closed_count", "has_parcels",
                   "parcel_count", "parcels_vacated_count", "vacated_area_mu")


def with_stored_progress(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate what with_site_stage and with_site_progress do, under the same names, from each site's stored
    progress (derived.site_progress keeps it in step with every write): one join instead of ten subqueries through
    the site tree, and a column a page can sort on at the cost of reading it."""
    return sites.annotate(**{name: F(f"progress__{name}") for name in STORED_PROGRESS})


def _leaf_sites() -> QuerySet[Site]:
    """Sites without parcels inside: the land the figures count (an area's land is its parcels')."""
    return Site.objects.filter(~Exists(Site.objects.filter(parent_id=OuterRef("pk"))))


def overdue_as_of(period_end: date | None = None) -> date:
    """The day deadlines are judged on: the end of the viewed period, or today while that period runs (or none is viewed).

    Viewing August 2022, an item due 2022-12-31 is not late, and one closed out in October was still open then.
    """
    today = timezone.localdate()
    return today if period_end is None else min(period_end, today)


def with_enterprise_overdue(enterprises: QuerySet[Enterprise], *, as_of: date | None = None) -> QuerySet[Enterprise]:
    """Annotate `is_overdue`: by AS_OF (today when None) the plan deadline has passed and no 销号 is dated."""
    as_of = as_of or timezone.localdate()
    closed = Exists(Event.objects.filter(enterprise=OuterRef("pk"), stage=Stage.CLOSED, occurred_on__lte=as_of))
    return enterprises.annotate(
        is_overdue=Case(
            When(Q(plan_deadline__lt=as_of) & ~closed, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def with_site_overdue(sites: QuerySet[Site], *, as_of: date | None = None) -> QuerySet[Site]:
    """Annotate `is_overdue`: by AS_OF (today when None) the site's deadline has passed and no 腾退 of it is dated."""
    as_of = as_of or timezone.localdate()
    vacated = Exists(Event.objects.filter(site=OuterRef("pk"), occurred_on__lte=as_of))
    return sites.annotate(
        is_overdue=Case(
            When(Q(deadline__lt=as_of) & ~vacated, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def workspace_sites(*, town: Town, overdue_on: date | None = None) -> QuerySet[Site]:
    """Return TOWN's sites with stage, progress counts (child parcels included) and overdue flag (by OVERDUE_ON)."""
    sites = Site.objects.filter(town=town).select_related("parent").order_by("name")
    return with_site_overdue(with_stored_progress(sites), as_of=overdue_on)


def workspace_enterprises(*, town: Town) -> QuerySet[Enterprise]:
    """Return TOWN's enterprises with their stage and overdue flag, site and attack group joined."""
    enterprises = Enterprise.objects.filter(town=town).select_related("site", "responsible_group").order_by("name")
    return with_enterprise_overdue(with_enterprise_stage(enterprises))


def site_page_queryset() -> QuerySet[Site]:
    """Return sites ready for their page: stage, progress, overdue, town and parent; children and enterprises prefetched.

    A fixed number of queries however many enterprises and events a site has.
    """
    children = with_stored_progress(Site.objects.order_by("name"))
    enterprises = with_enterprise_overdue(with_enterprise_stage(Enterprise.objects.order_by("name")))
    return with_site_overdue(with_stored_progress(Site.objects.select_related("town", "parent"))).prefetch_related(
        Prefetch("children", queryset=children),
        Prefetch("enterprises", queryset=enterprises),
        Prefetch("events", queryset=Event.objects.select_related("recorded_by")),
    )


def enterprise_page_queryset() -> QuerySet[Enterprise]:
    """Return enterprises ready for their page: stage, overdue, town, site, attack group; events with photos."""
    events = Event.objects.select_related("recorded_by").prefetch_related("photos").order_by("stage")
    return with_enterprise_overdue(
        with_enterprise_stage(Enterprise.objects.select_related("town", "site__parent", "responsible_group"))
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

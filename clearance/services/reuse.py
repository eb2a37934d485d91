"""换鸟's writes: projects, the land each takes from vacated sites, their stage events and photos.

Every write that can move a reuse figure (an event, the land, the committed investment) recomputes the
monthly reuse rollup of the project's town in the same transaction (derived.reuse_rollup.refresh).
The land a site gives is checked with the site's row locked, so two projects taking the same site's last
mu at the same moment cannot both have it.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ..choices import ProjectStage
from ..derived import commitments, reuse_rollup
from ..models import Event, Project, ProjectEvent, ProjectSite, Site
from ..rules import land_supply_problem, site_allocation_problem
from .base import StaleEditError, User, delete_recorded, save_validated
from .periods import change_reason, late_change_check
from .photos import photos_add

# The fields of a project a page or the admin edits (its land has services of its own; land_mu is derived).
PROJECT_FIELDS = (
    "town", "name", "kind", "investor", "industry", "operator", "committed_investment_wan",
    "committed_tax_per_mu_wan", "committed_start_on", "committed_production_on", "committed_full_production_on",
    "deadline", "notes",
)


def _locked_project(project: Project) -> Project:
    current = Project.objects.select_for_update().filter(pk=project.pk).order_by("pk").first()
    if current is None:
        raise ValidationError(
            _("Someone else deleted this project after you opened it; nothing was changed."), code="project_deleted"
        )
    return current


def _fields_check(fields: dict) -> None:
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"not a project field: {', '.join(sorted(unknown))}")


@transaction.atomic
def project_create(*, user: User | None, **fields) -> Project:
    """Create a project (a 招商项目 with its investor and commitments, or a 复垦); it takes land afterwards."""
    _fields_check(fields)
    project = Project(**fields)
    save_validated(project, user=user)
    _judge_commitment(project)
    return project


@transaction.atomic
def project_update(*, project: Project, expected_version: int, user: User | None, **fields) -> Project:
    """Change FIELDS of PROJECT as seen at EXPECTED_VERSION; refuse a stale edit; keep the reuse figures in step."""
    _fields_check(fields)
    current = _locked_project(project)
    if current.version != expected_version:
        raise StaleEditError(current)
    old_town = current.town_id
    for name, value in fields.items():
        setattr(current, name, value)
    if current.pk and "kind" in fields and _kind_changed_with_events(current):
        raise ValidationError(
            {"kind": ValidationError(
                _("The kind of a project cannot change once stages are recorded: its stages differ."),
                code="project_kind_has_events",
            )}
        )
    save_validated(current, user=user, bump_version=True)
    reuse_rollup.refresh([old_town, current.town_id])
    _judge_commitment(current)
    return current


def _judge_commitment(project: Project) -> None:
    """Judge PROJECT's commitment again (its committed figures or operator may have changed): derived.commitments."""
    commitments.refresh(Project.objects.filter(pk=project.pk))
    project.refresh_from_db(fields=["commitment"])


def _kind_changed_with_events(project: Project) -> bool:
    stored = Project.objects.filter(pk=project.pk).values_list("kind", flat=True).first()
    return stored != project.kind and project.events.exists()


@transaction.atomic
def project_delete(*, project: Project, expected_version: int, user: User | None) -> None:
    """Delete PROJECT and the land it takes, unless stages are recorded (delete those first: they are figures)."""
    current = _locked_project(project)
    if current.version != expected_version:
        raise StaleEditError(current)
    if current.events.exists():
        raise ValidationError(
            _("%(project)s has recorded stages; delete them first, then the project."),
            code="project_has_events", params={"project": current.name},
        )
    for allocation in current.allocations.all():
        delete_recorded(allocation, user=user)
    delete_recorded(current, user=user)


# The land -----------------------------------------------------------------------------------------------


def _reused_on(project: Project) -> date | None:
    """The date of the project's 供地, after which every site it takes must have been vacated by then."""
    return project.events.filter(stage=ProjectStage.LAND_SUPPLIED).values_list("occurred_on", flat=True).first()


def _refresh_land(project: Project, *, user: User | None) -> None:
    """Store the project's land as the sum of its allocations, bump its version, and refresh its town's figures."""
    total = project.allocations.aggregate(total=Sum("area_mu"))["total"] or Decimal("0")
    project.land_mu = Decimal(str(total)).quantize(Decimal("0.01"))
    save_validated(project, user=user, bump_version=True)
    reuse_rollup.refresh([project.town_id])


@transaction.atomic
def project_land_set(
    *, project: Project, site: Site, area_mu: Decimal, expected_version: int, user: User | None
) -> ProjectSite:
    """Let PROJECT (as seen at EXPECTED_VERSION) take AREA_MU of SITE, or change the area it takes there.

    Refuses a site of another town, an area with parcels inside (land is taken from parcels), more than
    the site holds over all projects, and, once the land is supplied, a site not vacated by that date.
    """
    current = _locked_project(project)
    if current.version != expected_version:
        raise StaleEditError(current)
    # The site's row is the lock under which its land is shared out.
    site = Site.objects.select_for_update().select_related("town").get(pk=site.pk)
    allocation = ProjectSite.objects.filter(project=current, site=site).first() or ProjectSite(
        project=current, site=site
    )
    allocation.area_mu = area_mu
    taken_elsewhere = (
        ProjectSite.objects.filter(site=site).exclude(project=current).aggregate(total=Sum("area_mu"))["total"]
        or Decimal("0")
    )
    problem = None
    if area_mu is not None and area_mu > 0:
        problem = site_allocation_problem(
            site_name=site.name, site_area=site.area_mu, allocated_elsewhere=Decimal(str(taken_elsewhere)),
            area=Decimal(str(area_mu)),
        )
    if problem is not None:
        raise problem
    supplied_on = _reused_on(current)
    if supplied_on is not None:
        vacated_on = Event.objects.filter(site=site).values_list("occurred_on", flat=True).first()
        problem = land_supply_problem(supplied_on, [(site.name, vacated_on)])
        if problem is not None:
            raise problem
    save_validated(allocation, user=user)
    _refresh_land(current, user=user)
    return allocation


@transaction.atomic
def project_land_remove(*, allocation: ProjectSite, expected_version: int, user: User | None) -> None:
    """Give the land PROJECT takes from one site back; a project whose land is supplied keeps at least one site."""
    current = _locked_project(allocation.project)
    if current.version != expected_version:
        raise StaleEditError(current)
    if _reused_on(current) is not None and current.allocations.exclude(pk=allocation.pk).count() == 0:
        raise ValidationError(
            _("The land of %(project)s is supplied: it must keep at least one site. Add the new site first."),
            code="supplied_project_without_land", params={"project": current.name},
        )
    delete_recorded(allocation, user=user)
    _refresh_land(current, user=user)


# The stages ---------------------------------------------------------------------------------------------


def _existing(project: Project, stage: ProjectStage) -> ProjectEvent | None:
    return ProjectEvent.objects.filter(project=project, stage=stage).order_by().first()


@transaction.atomic
def project_event_record(
    *, project: Project, stage: ProjectStage, on: date, user: User | None, note: str = "", photos=(),
    phase: str = "during",
) -> ProjectEvent:
    """Record that PROJECT reached STAGE on ON, with PHOTOS, all or nothing.

    Refuses a stage already recorded (correct it instead), a stage of the other kind, a stage before the
    earlier ones of its kind (no 达产 before 投产), dates out of order, a future date, 供地 on land not yet
    vacated, and a date in a closed month without a note.
    """
    current = _locked_project(project)
    existing = _existing(current, stage)
    if existing is not None:
        raise ValidationError(
            {"stage": ValidationError(
                _("%(stage)s is already recorded on %(date)s; correct that event instead.")
                % {"stage": ProjectStage(stage).label, "date": existing.occurred_on.isoformat()},
                code="stage_already_recorded",
            )}
        )
    late_change_check(dates=[on], note=note)
    event = ProjectEvent(project=current, stage=stage, occurred_on=on, note=note, recorded_by=user)
    if note.strip():
        event._change_reason = change_reason(note)
    save_validated(event, user=user)
    photos_add(event=event, uploads=photos, phase=phase, user=user)
    reuse_rollup.refresh([current.town_id])
    return event


def _locked_event(event: ProjectEvent) -> ProjectEvent:
    current = ProjectEvent.objects.select_for_update().filter(pk=event.pk).first()
    if current is None:
        raise ValidationError(
            _("Someone else deleted this event after you opened it; nothing was changed."), code="event_deleted"
        )
    return current


@transaction.atomic
def project_event_correct(
    *, event: ProjectEvent, expected_version: int, user: User | None, on: date | None = None,
    note: str | None = None, photos=(), phase: str = "during", correction_note: str = "",
) -> ProjectEvent:
    """Correct the date or note of a project's EVENT seen at EXPECTED_VERSION and add PHOTOS; the old values stay
    in the history; CORRECTION_NOTE is required where the event's month, before or after, is closed."""
    _locked_project(event.project)
    current = _locked_event(event)
    if current.version != expected_version:
        raise StaleEditError(current)
    late_change_check(dates=[current.occurred_on, on], note=correction_note, field="correction_note")
    if correction_note.strip():
        current._change_reason = change_reason(correction_note)
    if on is not None:
        current.occurred_on = on
    if note is not None:
        current.note = note
    save_validated(current, user=user, bump_version=True)
    photos_add(event=current, uploads=photos, phase=phase, user=user)
    reuse_rollup.refresh([current.project.town_id])
    return current


@transaction.atomic
def project_event_delete(*, event: ProjectEvent, expected_version: int, user: User | None, note: str = "") -> None:
    """Delete a project's EVENT unless a later stage of its kind is recorded; its photos go with it."""
    project = _locked_project(event.project)
    current = _locked_event(event)
    if current.version != expected_version:
        raise StaleEditError(current)
    late_change_check(dates=[current.occurred_on], note=note)
    if note.strip():
        current._change_reason = change_reason(note)
    later = ProjectEvent.objects.filter(project=project, stage__gt=current.stage, stage__in=project.stages).first()
    if later is not None:
        raise ValidationError(
            _("%(stage)s cannot be deleted while %(later)s is recorded.")
            % {"stage": ProjectStage(current.stage).label, "later": ProjectStage(later.stage).label},
            code="stage_needed_by_later",
        )
    for photo in current.photos.all():
        delete_recorded(photo, user=user)
    delete_recorded(current, user=user)
    reuse_rollup.refresh([project.town_id])


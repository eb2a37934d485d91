"""Every write of the campaign: views, admin actions, commands and the demo call these."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .choices import MemberRole, Metric, Stage
from .models import (
    AttackGroup,
    Bureau,
    BureauHead,
    BulletinFigure,
    County,
    Enterprise,
    Event,
    Pairing,
    Site,
    TaskForce,
    TaskForceMember,
    Target,
    Town,
    stage_prerequisites,
)

User = AbstractBaseUser


class StaleEditError(ValidationError):
    """Raised when an edit was made on a page loaded before someone else saved."""

    def __init__(self, current: models.Model):
        self.current = current
        super().__init__(
            _("Someone else saved this record after you opened it. Review their version and apply your change again."),
            code="stale_edit",
        )


@dataclass(frozen=True)
class Upsert:
    """The outcome of an idempotent write: the row, and whether it was created or changed."""

    obj: Any
    created: bool = False
    changed: bool = False


def _save(obj: models.Model, *, user: User | None, bump_version: bool = False) -> None:
    """Validate OBJ fully, attribute its history row to USER and save it."""
    if bump_version:
        obj.version = (obj.version or 0) + 1
    obj.full_clean()
    if user is not None and user.is_authenticated:
        obj._history_user = user
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        # A concurrent write got past validation first; report it as bad input.
        raise ValidationError(_("This conflicts with a record saved at the same time: %(error)s") % {"error": error})


def _upsert(model: type[models.Model], *, key: dict, fields: dict, user: User | None, versioned: bool = False) -> Upsert:
    """Create the row identified by KEY with FIELDS, or update the fields that differ; save nothing when none do."""
    stored = dict(_as_stored(model, name, value) for name, value in fields.items())
    # order_by(): a default ordering across a nullable relation would put FOR UPDATE on an outer join.
    obj = model.objects.select_for_update().filter(**key).order_by("pk").first()
    if obj is None:
        obj = model(**key, **stored)
        _save(obj, user=user)
        return Upsert(obj, created=True, changed=True)
    differing = {name: value for name, value in stored.items() if getattr(obj, name) != value}
    if not differing:
        return Upsert(obj)
    for name, value in differing.items():
        setattr(obj, name, value)
    _save(obj, user=user, bump_version=versioned)
    return Upsert(obj, changed=True)


def _as_stored(model: type[models.Model], name: str, value) -> tuple[str, Any]:
    """Return the attribute and value as the row stores them: a foreign key by id, a decimal as Decimal."""
    field = model._meta.get_field(name)
    if field.is_relation:
        return field.attname, value.pk if isinstance(value, models.Model) else value
    if isinstance(value, float):
        value = repr(value)  # 20.43, not the binary fraction 20.4299999…
    return name, field.to_python(value)


# Reference data -------------------------------------------------------------


@transaction.atomic
def town_upsert(*, name: str, kind: str, display_order: int = 0, user: User | None = None) -> Upsert:
    """Create or update the town called NAME."""
    return _upsert(Town, key={"name": name}, fields={"kind": kind, "display_order": display_order}, user=user)


@transaction.atomic
def county_upsert(*, name: str, is_home: bool = False, display_order: int = 0, user: User | None = None) -> Upsert:
    """Create or update the county called NAME; at most one county is the home city."""
    return _upsert(County, key={"name": name}, fields={"is_home": is_home, "display_order": display_order}, user=user)


@transaction.atomic
def bureau_head_upsert(*, bureau_name: str, head_name: str, user: User | None = None) -> BureauHead:
    """Create the bureau and its head if missing; return the head."""
    bureau = _upsert(Bureau, key={"name": bureau_name}, fields={}, user=user).obj
    return _upsert(BureauHead, key={"bureau": bureau, "name": head_name}, fields={}, user=user).obj


@transaction.atomic
def pairing_start(
    *, town: Town, head: BureauHead, started_on: date, task_force_name: str = "", user: User | None = None
) -> Pairing:
    """Pair HEAD with TOWN from STARTED_ON and give the pairing its task force.

    Refuses when the town or the head already has an active pairing: end it
    first, or use pairing_change.
    """
    Town.objects.select_for_update().get(pk=town.pk)
    if Pairing.objects.active().filter(town=town).exists():
        raise ValidationError(
            _("%(town)s already has an active pairing; end it before starting another.") % {"town": town.name},
            code="town_already_paired",
        )
    if Pairing.objects.active().filter(head=head).exists():
        raise ValidationError(
            _("%(head)s is already paired with another town.") % {"head": head.name}, code="head_already_paired"
        )
    pairing = Pairing(town=town, head=head, started_on=started_on)
    _save(pairing, user=user)
    task_force = TaskForce(pairing=pairing, name=task_force_name or _("%(town)s task force") % {"town": town.name})
    _save(task_force, user=user)
    task_force.member_bureaus.add(head.bureau)
    member = TaskForceMember(
        task_force=task_force, person_name=head.name, role=MemberRole.HEAD, unit=head.bureau.name, user=head.user
    )
    _save(member, user=user)
    return pairing


@transaction.atomic
def pairing_change(*, town: Town, new_head: BureauHead, on: date, user: User | None = None) -> Pairing:
    """End TOWN's active pairing on ON and pair NEW_HEAD with it from ON.

    Members from outside the old head's bureau (town staff) move to the new
    task force, so they keep their access while the old head's team loses it
    in the same transaction.
    """
    old = Pairing.objects.active().select_for_update().filter(town=town).order_by("pk").first()
    carried_members = []
    if old is not None:
        if on < old.started_on:
            raise ValidationError(
                _("The new pairing cannot start before the current one started (%(date)s).")
                % {"date": old.started_on.isoformat()},
                code="change_before_start",
            )
        old.ended_on = on
        _save(old, user=user)
        task_force = getattr(old, "task_force", None)
        if task_force is not None:
            carried_members = list(
                task_force.members.exclude(role=MemberRole.HEAD).exclude(unit=old.head.bureau.name)
            )
    pairing = pairing_start(town=town, head=new_head, started_on=on, user=user)
    for member in carried_members:
        _save(
            TaskForceMember(
                task_force=pairing.task_force,
                user=member.user,
                person_name=member.person_name,
                role=member.role,
                unit=member.unit,
            ),
            user=user,
        )
    return pairing


@transaction.atomic
def task_force_member_add(
    *, task_force: TaskForce, person_name: str, user_account=None, role: str = MemberRole.MEMBER,
    unit: str = "", user: User | None = None,
) -> TaskForceMember:
    """Add a person to TASK_FORCE; with USER_ACCOUNT they may record progress for its town."""
    key = {"task_force": task_force, "person_name": person_name}
    fields = {"user": user_account, "role": role, "unit": unit}
    return _upsert(TaskForceMember, key=key, fields=fields, user=user).obj


@transaction.atomic
def attack_group_upsert(*, task_force: TaskForce, name: str, leader_name: str = "", user: User | None = None) -> AttackGroup:
    """Create or update the attack group NAME of TASK_FORCE."""
    return _upsert(
        AttackGroup, key={"task_force": task_force, "name": name}, fields={"leader_name": leader_name}, user=user
    ).obj


@transaction.atomic
def target_set(*, year: int, metric: Metric, value: Decimal, town: Town | None = None, user: User | None = None) -> Upsert:
    """Set the yearly target for METRIC: the city's when TOWN is None, else the town's allocation."""
    return _upsert(
        Target, key={"year": year, "metric": metric, "town": town}, fields={"value": Decimal(str(value))}, user=user
    )


@transaction.atomic
def bulletin_figure_set(
    *, county: County, year: int, month: int, metric: Metric, actual: Decimal, target: Decimal | None,
    user: User | None = None,
) -> Upsert:
    """Record one county's published figure for METRIC in a month of Jiaxing's bulletin."""
    fields = {"actual": Decimal(str(actual)), "target": None if target is None else Decimal(str(target))}
    return _upsert(
        BulletinFigure, key={"county": county, "year": year, "month": month, "metric": metric}, fields=fields, user=user
    )


# Sites and enterprises ------------------------------------------------------


@transaction.atomic
def site_upsert(*, town: Town, name: str, user: User | None = None, **fields) -> Upsert:
    """Create or update the site (TOWN, NAME) with FIELDS (area_mu, parent, land_use, …)."""
    return _upsert(Site, key={"town": town, "name": name}, fields=fields, user=user, versioned=True)


@transaction.atomic
def enterprise_upsert(*, town: Town, name: str, user: User | None = None, **fields) -> Upsert:
    """Create or update the enterprise (TOWN, NAME) with FIELDS (site, categories, disposal, energy, …)."""
    return _upsert(Enterprise, key={"town": town, "name": name}, fields=fields, user=user, versioned=True)


@transaction.atomic
def site_update(*, site: Site, expected_version: int, user: User, **fields) -> Site:
    """Change FIELDS of SITE as edited on a page loaded at EXPECTED_VERSION; refuse a stale edit."""
    current = Site.objects.select_for_update().get(pk=site.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    for name, value in fields.items():
        setattr(current, name, value)
    _save(current, user=user, bump_version=True)
    return current


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, expected_version: int, user: User, **fields) -> Enterprise:
    """Change FIELDS of ENTERPRISE as edited on a page loaded at EXPECTED_VERSION; refuse a stale edit."""
    current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    for name, value in fields.items():
        setattr(current, name, value)
    _save(current, user=user, bump_version=True)
    return current


# Events ---------------------------------------------------------------------


def _lock_subject(*, enterprise: Enterprise | None, site: Site | None) -> None:
    """Serialise writes to one enterprise's or site's events, so the stage rules see a settled state."""
    if enterprise is not None:
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).order_by("pk").first()
    if site is not None:
        Site.objects.select_for_update().filter(pk=site.pk).order_by("pk").first()


@transaction.atomic
def event_record(
    *, stage: Stage, on: date, user: User | None, enterprise: Enterprise | None = None, site: Site | None = None,
    note: str = "",
) -> Event:
    """Record that ENTERPRISE (or SITE, for 腾退 only) reached STAGE on ON.

    Refuses a stage already recorded (correct that event instead), a date in
    the future and a stage out of order (see models.stage_prerequisites).
    """
    _lock_subject(enterprise=enterprise, site=site)
    existing = Event.objects.filter(enterprise=enterprise, site=site, stage=stage).first()
    if existing is not None:
        raise ValidationError(
            {
                "stage": ValidationError(
                    _("%(stage)s is already recorded on %(date)s; correct that event instead.")
                    % {"stage": Stage(stage).label, "date": existing.occurred_on.isoformat()},
                    code="stage_already_recorded",
                )
            }
        )
    event = Event(enterprise=enterprise, site=site, stage=stage, occurred_on=on, note=note, recorded_by=user)
    _save(event, user=user)
    return event


@transaction.atomic
def event_upsert(
    *, stage: Stage, on: date, user: User | None, enterprise: Enterprise | None = None, site: Site | None = None,
    note: str = "",
) -> Upsert:
    """Record STAGE on ON, or move the existing event of that stage to ON; leave it alone when already so."""
    _lock_subject(enterprise=enterprise, site=site)
    existing = Event.objects.filter(enterprise=enterprise, site=site, stage=stage).first()
    if existing is None:
        return Upsert(event_record(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note), True, True)
    if existing.occurred_on == on:
        return Upsert(existing)
    return Upsert(event_correct(event=existing, expected_version=existing.version, on=on, user=user), changed=True)


@transaction.atomic
def event_correct(
    *, event: Event, expected_version: int, user: User | None, on: date | None = None, note: str | None = None
) -> Event:
    """Correct the date or note of EVENT as seen at EXPECTED_VERSION; the old values stay in the history."""
    current = Event.objects.select_for_update().get(pk=event.pk)
    _lock_subject(enterprise=current.enterprise, site=current.site)
    if current.version != expected_version:
        raise StaleEditError(current)
    if on is not None:
        current.occurred_on = on
    if note is not None:
        current.note = note
    _save(current, user=user, bump_version=True)
    return current


@transaction.atomic
def event_delete(*, event: Event, expected_version: int, user: User | None) -> None:
    """Delete EVENT unless a later stage depends on it; the deletion stays in the history."""
    current = Event.objects.select_for_update().get(pk=event.pk)
    _lock_subject(enterprise=current.enterprise, site=current.site)
    if current.version != expected_version:
        raise StaleEditError(current)
    if current.enterprise_id:
        disposal = current.enterprise.disposal
        for later in Event.objects.filter(enterprise_id=current.enterprise_id, stage__gt=current.stage):
            if current.stage in stage_prerequisites(Stage(later.stage), disposal):
                raise ValidationError(
                    _("%(stage)s cannot be deleted while %(later)s is recorded.")
                    % {"stage": Stage(current.stage).label, "later": Stage(later.stage).label},
                    code="stage_needed_by_later",
                )
    if current.site_id is None and current.stage in (Stage.VACATED, Stage.CLOSED):
        site = current.enterprise.site
        site_event = Event.objects.filter(site=site).first()
        if site_event is not None:
            raise ValidationError(
                _("%(site)s has been recorded as vacated; delete that first.") % {"site": site.name},
                code="site_already_vacated",
            )
    if user is not None and user.is_authenticated:
        current._history_user = user
    current.delete()

"""Every write of the campaign: views, admin actions, commands and the demo call these."""

import contextlib
import errno
import io
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

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
    Photo,
    Site,
    TaskForce,
    TaskForceMember,
    Target,
    Town,
)
from .rules import stage_prerequisites

User = AbstractBaseUser
logger = logging.getLogger(__name__)


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
    # Constraints are left to the database (a violation becomes a ValidationError
    # below); Django would otherwise run one query per constraint per save.
    # Every check constraint has its twin with a clear message in clean() or a field validator.
    # A foreign key given as a saved object needs no existence query; the database checks it anyway.
    given_objects = [
        field.name
        for field in obj._meta.concrete_fields
        if field.many_to_one and field.is_cached(obj) and getattr(obj, field.name) is not None
        and getattr(obj, field.name).pk is not None
    ]
    obj.full_clean(exclude=given_objects, validate_constraints=False)
    if user is not None and user.is_authenticated:
        obj._history_user = user
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        # A concurrent write got past validation first; report it as bad input.
        raise ValidationError(
            _("This conflicts with a record saved at the same time: %(error)s") % {"error": error}, code="conflict"
        )


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
    # And the head's row (always after the town's): two towns taking one head at once queue here, so the
    # second gets the message below instead of the database's unique-constraint error.
    BureauHead.objects.select_for_update().get(pk=head.pk)
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
    # The town row first, as pairing_start does: two changes of one town queue on it, so the second
    # sees the pairing the first created (one lock order, no deadlock between the two functions).
    Town.objects.select_for_update().get(pk=town.pk)
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
def enterprise_upsert_by_code(*, credit_code: str, user: User | None = None, **fields) -> Upsert:
    """Create or update the enterprise with CREDIT_CODE: the code is the key, so its name and town may change."""
    return _upsert(Enterprise, key={"credit_code": credit_code}, fields=fields, user=user, versioned=True)


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
    the future and a stage out of order (see rules.stage_prerequisites).
    """
    _lock_subject(enterprise=enterprise, site=site)
    existing = _existing_event(enterprise=enterprise, site=site, stage=stage)
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
    return _event_create(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)


def _existing_event(*, enterprise: Enterprise | None, site: Site | None, stage: Stage) -> Event | None:
    return Event.objects.filter(enterprise=enterprise, site=site, stage=stage).order_by().first()


def _event_create(*, stage, on, user, enterprise, site, note) -> Event:
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
    existing = _existing_event(enterprise=enterprise, site=site, stage=stage)
    if existing is None:
        event = _event_create(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)
        return Upsert(event, created=True, changed=True)
    if existing.occurred_on == on:
        return Upsert(existing)
    return Upsert(event_correct(event=existing, expected_version=existing.version, on=on, user=user), changed=True)


def _event_for_update(event: Event) -> Event:
    """Lock EVENT's row; refuse, as a form error rather than a crash, an event deleted since the page was loaded."""
    current = Event.objects.select_for_update().filter(pk=event.pk).first()
    if current is None:
        raise ValidationError(
            _("Someone else deleted this event after you opened it; nothing was changed."), code="event_deleted"
        )
    return current


@transaction.atomic
def event_correct(
    *, event: Event, expected_version: int, user: User | None, on: date | None = None, note: str | None = None
) -> Event:
    """Correct the date or note of EVENT as seen at EXPECTED_VERSION; the old values stay in the history."""
    current = _event_for_update(event)
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
    current = _event_for_update(event)
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
        # Its photos go with it: deleted here rather than by the cascade, so that their history names USER too.
        for photo in current.photos.all():
            photo._history_user = user
            photo.delete()
    current.delete()


# Sites and enterprises created on the pages ----------------------------------


@transaction.atomic
def site_create(*, town: Town, name: str, area_mu: Decimal, user: User | None, **fields) -> Site:
    """Create the site NAME of TOWN (area in 亩; FIELDS: parent, land_use, deadline, notes, …)."""
    site = Site(town=town, name=name, area_mu=area_mu, **fields)
    _save(site, user=user)
    return site


@transaction.atomic
def enterprise_create(*, site: Site, name: str, user: User | None, **fields) -> Enterprise:
    """Create the enterprise NAME on SITE, in the site's town (FIELDS: categories, disposal, energy, plan, …)."""
    # Lock the site: its 腾退 and a new enterprise on it must not pass each other (see Enterprise.clean).
    _lock_subject(enterprise=None, site=site)
    enterprise = Enterprise(town=site.town, site=site, name=name, **fields)
    _save(enterprise, user=user)
    return enterprise


@transaction.atomic
def enterprise_edit(*, enterprise: Enterprise, expected_version: int, user: User, **fields) -> Enterprise:
    """Change FIELDS of ENTERPRISE as edited on its page; refuse a stale edit and a move onto a vacated site."""
    site = fields.get("site")
    if site is not None and site.pk != enterprise.site_id:
        _lock_subject(enterprise=None, site=site)
    return enterprise_update(enterprise=enterprise, expected_version=expected_version, user=user, **fields)


# Photos ---------------------------------------------------------------------

# Pillow's name for each accepted format and the extension it is stored under.
# HEIC (iPhones) is opened through pillow-heif and stored as JPEG, which every browser shows.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "jpg"}


register_heif_opener()


def photo_check(upload) -> str:
    """Return the Pillow format of UPLOAD; refuse a file over the size limit or not a JPEG, PNG, WebP or HEIC image.

    The content decides, never the file name: a text file called .jpg is refused.
    """
    name = getattr(upload, "name", "") or ""
    limit = settings.CLEARANCE_PHOTO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is larger than the limit of %(limit)s MB.")
            % {"name": name, "limit": f"{limit / 1024 / 1024:g}"},
            code="photo_too_big",
        )
    not_a_photo = ValidationError(
        _("%(name)s is not a JPEG, PNG, WebP or HEIC photo.") % {"name": name}, code="photo_not_image"
    )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format, pixels = image.format, image.width * image.height
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise not_a_photo from error
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise not_a_photo
    if pixels > settings.CLEARANCE_PHOTO_MAX_PIXELS:
        raise ValidationError(
            _("%(name)s has too many pixels to be processed.") % {"name": name}, code="photo_too_many_pixels"
        )
    return image_format


def _photo_renditions(upload, image_format: str):
    """Return (image, thumbnail) as files named only by their format: the client's name never becomes a path."""
    upload.seek(0)
    with Image.open(upload) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        elif image.mode == "L":
            image = image.convert("RGB")
        if image_format == "HEIF":
            converted = io.BytesIO()
            image.save(converted, "JPEG", quality=90)
            original = ContentFile(converted.getvalue(), name="photo.jpg")
        else:
            upload.seek(0)
            original = ContentFile(upload.read(), name=f"photo.{PHOTO_FORMATS[image_format]}")
        side = settings.CLEARANCE_PHOTO_THUMBNAIL_PX
        image.thumbnail((side, side))
        small = io.BytesIO()
        image.save(small, "JPEG", quality=80)
    return original, ContentFile(small.getvalue(), name="thumb.jpg")


@transaction.atomic
def photo_add(*, event: Event, upload, phase: str, user: User | None, caption: str = "") -> Photo:
    """Attach the photo UPLOAD to EVENT with a thumbnail, stored under MEDIA_ROOT with random names."""
    image_format = photo_check(upload)
    original, thumbnail = _photo_renditions(upload, image_format)
    photo = Photo(event=event, phase=phase, caption=caption[:200], uploaded_by=user)
    try:
        _photo_file_store(photo, "image", original)
        _photo_file_store(photo, "thumbnail", thumbnail)
        _save(photo, user=user)
    except Exception as error:
        _photo_files_delete([photo])
        if isinstance(error, OSError):
            raise _photo_not_stored(getattr(upload, "name", "") or "", error) from error
        raise
    return photo


def _photo_file_store(photo: Photo, field_name: str, content: ContentFile) -> None:
    """Store CONTENT as PHOTO's FIELD_NAME file under a new random name; a write cut short leaves no partial file."""
    field = Photo._meta.get_field(field_name)
    name = field.generate_filename(photo, content.name)
    try:
        stored = field.storage.save(name, content, max_length=field.max_length)
    except OSError:
        # A full disk stops the write part-way and Django leaves the partial file behind.
        with contextlib.suppress(OSError):
            field.storage.delete(name)
        raise
    setattr(photo, field_name, stored)


def _photo_not_stored(name: str, error: OSError) -> ValidationError:
    """The form error for a photo the server could not write; the administrator finds the cause in the log."""
    logger.error("Photo %s could not be stored: %s", name, error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        message = _("%(name)s could not be stored: the server's disk is full. Nothing was saved; please tell the administrator.")
    else:
        message = _("%(name)s could not be stored on the server. Nothing was saved; try again, and tell the administrator if it happens again.")
    return ValidationError({"photos": ValidationError(message % {"name": name}, code="photo_not_stored")})


def _photo_files_delete(photos) -> None:
    for photo in photos:
        for field in (photo.image, photo.thumbnail):
            if field.name:
                field.storage.delete(field.name)


@transaction.atomic
def event_record_with_photos(
    *, stage: Stage, on: date, user: User | None, enterprise: Enterprise | None = None, site: Site | None = None,
    note: str = "", photos=(), phase: str = "during",
) -> Event:
    """Record STAGE on ON for ENTERPRISE or SITE with PHOTOS, all or nothing (see event_record for the rules)."""
    event = event_record(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)
    photos_add(event=event, uploads=photos, phase=phase, user=user)
    return event


@transaction.atomic
def photos_add(*, event: Event, uploads, phase: str, user: User | None) -> list[Photo]:
    """Attach every one of UPLOADS to EVENT; when one is refused none is kept, files included."""
    added: list[Photo] = []
    try:
        for upload in uploads:
            added.append(photo_add(event=event, upload=upload, phase=phase, user=user))
    except BaseException:
        # The rows roll back with the transaction; the files written so far must go too.
        _photo_files_delete(added)
        raise
    return added


@transaction.atomic
def event_edit(
    *, event: Event, expected_version: int, user: User | None, on: date, note: str, photos=(), phase: str = "during"
) -> Event:
    """Correct the date and note of EVENT as seen at EXPECTED_VERSION and attach further PHOTOS, all or nothing."""
    corrected = event_correct(event=event, expected_version=expected_version, user=user, on=on, note=note)
    photos_add(event=corrected, uploads=photos, phase=phase, user=user)
    return corrected


@transaction.atomic
def events_record_bulk(
    *, site: Site, enterprises, stage: Stage, on: date, user: User | None, note: str = ""
) -> list[Event]:
    """Record STAGE on ON for each of ENTERPRISES of SITE in one transaction: all of them, or none.

    Every enterprise is checked, so the refusal names each one that cannot take the stage.
    """
    enterprises = list(enterprises)
    if not enterprises:
        raise ValidationError(_("Choose at least one enterprise."), code="no_enterprise")
    strangers = [enterprise.name for enterprise in enterprises if enterprise.site_id != site.pk]
    if strangers:
        raise ValidationError(
            _("These enterprises are not on %(site)s: %(names)s.") % {"site": site.name, "names": "、".join(strangers)},
            code="enterprise_other_site",
        )
    events, problems = [], []
    for enterprise in enterprises:
        try:
            events.append(event_record(stage=stage, on=on, user=user, enterprise=enterprise, note=note))
        except ValidationError as error:
            problems.append(
                ValidationError(
                    _("%(name)s: %(reason)s") % {"name": enterprise.name, "reason": " ".join(error.messages)},
                    code="bulk_item_refused",
                )
            )
    if problems:
        raise ValidationError(problems)
    return events


@transaction.atomic
def targets_copy_year(*, from_year: int, to_year: int | None = None, user: User | None = None) -> tuple[int, int]:
    """Copy the towns' allocations of FROM_YEAR to TO_YEAR (the next year by default) as a starting point.

    Targets already set in TO_YEAR are kept; the city's target (Jiaxing's) is
    not copied. Return (created, kept).
    """
    to_year = from_year + 1 if to_year is None else to_year
    existing = set(Target.objects.filter(year=to_year, town__isnull=False).values_list("metric", "town_id"))
    created = kept = 0
    for target in Target.objects.filter(year=from_year, town__isnull=False).select_related("town").order_by("pk"):
        if (target.metric, target.town_id) in existing:
            kept += 1
            continue
        target_set(year=to_year, metric=Metric(target.metric), value=target.value, town=target.town, user=user)
        created += 1
    return created, kept


# Bulletins imported from a sheet ----------------------------------------------------

BULLETIN_COUNTY, BULLETIN_YEAR, BULLETIN_MONTH, BULLETIN_METRIC, BULLETIN_ACTUAL, BULLETIN_TARGET = (
    "县(市、区)", "年", "月", "指标", "完成数", "目标",
)
BULLETIN_COLUMNS = (BULLETIN_COUNTY, BULLETIN_YEAR, BULLETIN_MONTH, BULLETIN_METRIC, BULLETIN_ACTUAL, BULLETIN_TARGET)
BULLETIN_REQUIRED = BULLETIN_COLUMNS[:5]
# Jiaxing's bulletins name the metrics in Chinese whatever the UI language; the keys are accepted too.
BULLETIN_METRIC_NAMES = {
    "高耗低效企业整治销号": Metric.ENTERPRISES_RECTIFIED,
    "腾退低效用地": Metric.LAND_VACATED_MU,
    "腾出用能": Metric.ENERGY_FREED_TCE,
    **{metric.value: metric for metric in Metric},
}


def _bulletin_cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _bulletin_number(text: str, *, required: bool) -> Decimal | None:
    if not text:
        if required:
            raise ValueError(_("The figure is empty."))
        return None
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text[:40]})
    if number < 0:
        raise ValueError(_("The number cannot be negative."))
    return number


def _bulletin_whole(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(_("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(text)


@transaction.atomic
def bulletin_import(*, rows: list[tuple[int, dict]], sheet: str, user: User | None = None) -> tuple[int, int, int]:
    """Record the bulletin figures of ROWS (spreadsheet row number, {column: value}), all or nothing.

    Columns as BULLETIN_COLUMNS; the first row is the header (row 1). Raise
    ledger.LedgerError naming every bad row with nothing written; return
    (created, changed, unchanged).
    """
    from .ledger import LedgerError, Problem

    problems: list[Problem] = []
    header = set(rows[0][1]) if rows else set()
    for column in BULLETIN_REQUIRED:
        if column not in header:
            problems.append(Problem(sheet, 1, column, _("The required column %(column)s is missing.") % {"column": column}))
    if problems:
        raise LedgerError(problems)
    counties = {county.name: county for county in County.objects.all()}
    parsed, seen = [], {}
    for number, values in rows[1:]:
        text = {column: _bulletin_cell_text(values.get(column)) for column in BULLETIN_COLUMNS}
        row_problems = []
        county = counties.get(text[BULLETIN_COUNTY])
        if county is None:
            row_problems.append((BULLETIN_COUNTY, _("Unknown county “%(county)s”.") % {"county": text[BULLETIN_COUNTY]}))
        metric = BULLETIN_METRIC_NAMES.get(text[BULLETIN_METRIC])
        if metric is None:
            row_problems.append((BULLETIN_METRIC, _("Unknown metric “%(value)s”; use %(choices)s.")
                                 % {"value": text[BULLETIN_METRIC], "choices": "、".join(list(BULLETIN_METRIC_NAMES)[:3])}))
        figures = {}
        for column, read in (
            (BULLETIN_YEAR, lambda value: _bulletin_whole(value, 2000, 2100)),
            (BULLETIN_MONTH, lambda value: _bulletin_whole(value, 1, 12)),
            (BULLETIN_ACTUAL, lambda value: _bulletin_number(value, required=True)),
            (BULLETIN_TARGET, lambda value: _bulletin_number(value, required=False)),
        ):
            try:
                figures[column] = read(text[column])
            except ValueError as error:
                row_problems.append((column, str(error)))
        if not row_problems:
            key = (county.pk, figures[BULLETIN_YEAR], figures[BULLETIN_MONTH], metric)
            if key in seen:
                row_problems.append((BULLETIN_METRIC, _("The same figure is already on row %(row)s.") % {"row": seen[key]}))
            seen[key] = number
        if row_problems:
            problems.extend(Problem(sheet, number, column, reason) for column, reason in row_problems)
        else:
            parsed.append((number, county, metric, figures))
    if problems:
        raise LedgerError(problems)
    created = changed = unchanged = 0
    for number, county, metric, figures in parsed:
        try:
            outcome = bulletin_figure_set(
                county=county, year=figures[BULLETIN_YEAR], month=figures[BULLETIN_MONTH], metric=metric,
                actual=figures[BULLETIN_ACTUAL], target=figures[BULLETIN_TARGET], user=user,
            )
        except ValidationError as error:
            problems.extend(Problem(sheet, number, "", message) for message in error.messages)
            continue
        if outcome.created:
            created += 1
        elif outcome.changed:
            changed += 1
        else:
            unchanged += 1
    if problems:
        # Raising out of this atomic block undoes the figures already written.
        raise LedgerError(problems)
    return created, changed, unchanged

"""Stage events: recorded, corrected and deleted under the stage rules, one subject at a time."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import Stage
from ..derived.locks import lock_rows
from ..models import Enterprise, Event, Site
from ..models.records import supplied_projects
from ..rules import LEAVING_STAGES, site_reused_problem, stage_prerequisites, still_out_problem
from .base import StaleEditError, Upsert, User, delete_recorded, save_validated
from .periods import change_reason, late_change_check
from .photos import photos_add


def lock_subject(*, enterprise: Enterprise | None, site: Site | None) -> None:
    """Serialise writes to one enterprise's or site's events, so the stage rules see a settled state.

    The same rows are those an event's figures depend on (derived.rollup), so a write made under this lock
    can tell the rollup so (save_validated's locked).
    """
    if enterprise is not None:
        lock_rows(Enterprise, [enterprise.pk])
    if site is not None:
        lock_rows(Site, [site.pk])


@transaction.atomic
def event_record(
    *, stage: Stage, on: date, user: User | None, enterprise: Enterprise | None = None, site: Site | None = None,
    note: str = "", photos=(), phase: str = "during",
) -> Event:
    """Record that ENTERPRISE (or SITE, for 腾退 only) reached STAGE on ON, with PHOTOS, all or nothing.

    Refuses a stage already recorded (correct that event instead), a date in
    the future, a stage out of order (see rules.stage_prerequisites), and a date
    in a closed month without a note (a late correction: the note says why).
    Event.clean checks the stage rules, in one query, under the subject's lock.
    """
    _check_subject(enterprise=enterprise, site=site)
    lock_subject(enterprise=enterprise, site=site)
    event = _event_create(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)
    if photos:
        photos_add(event=event, uploads=photos, phase=phase, user=user)
    return event


def _check_subject(*, enterprise: Enterprise | None, site: Site | None) -> None:
    """Refuse an event of nothing; one of both is refused by Event.clean."""
    if enterprise is None and site is None:
        raise ValidationError(
            {
                "enterprise": ValidationError(
                    _("Choose the enterprise, or the site for its vacated event."), code="no_subject"
                )
            }
        )


def _existing_event(*, enterprise: Enterprise | None, site: Site | None, stage: Stage) -> Event | None:
    return Event.objects.filter(enterprise=enterprise, site=site, stage=stage).order_by().first()


def _event_create(*, stage, on, user, enterprise, site, note) -> Event:
    """Save a new event under the subject's lock (lock_subject), inside the caller's transaction."""
    late_change_check(dates=[on], note=note)
    event = Event(enterprise=enterprise, site=site, stage=stage, occurred_on=on, note=note, recorded_by=user)
    if note.strip():
        event._change_reason = change_reason(note)
    # Both callers are atomic, so a refusal undoes their whole transaction (or their own savepoint): the save needs
    # no savepoint of its own, and the rollup no second lock of the subject.
    save_validated(event, user=user, savepoint=False, locked=True)
    return event


@transaction.atomic
def event_upsert(
    *, stage: Stage, on: date, user: User | None, enterprise: Enterprise | None = None, site: Site | None = None,
    note: str = "",
) -> Upsert:
    """Record STAGE on ON, or move the existing event of that stage to ON; leave it alone when already so."""
    _check_subject(enterprise=enterprise, site=site)
    lock_subject(enterprise=enterprise, site=site)
    existing = _existing_event(enterprise=enterprise, site=site, stage=stage)
    if existing is None:
        event = _event_create(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)
        return Upsert(event, created=True, changed=True)
    if existing.occurred_on == on:
        return Upsert(existing)
    corrected = event_correct(event=existing, expected_version=existing.version, on=on, user=user, correction_note=note)
    return Upsert(corrected, changed=True)


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
    *, event: Event, expected_version: int, user: User | None, on: date | None = None, note: str | None = None,
    photos=(), phase: str = "during", correction_note: str = "",
) -> Event:
    """Correct the date or note of EVENT as seen at EXPECTED_VERSION and attach further PHOTOS, all or nothing.

    The old values stay in the history. Where the event's month, before or after,
    is closed, CORRECTION_NOTE (why, kept as the history row's change reason) is required.
    """
    current = _event_for_update(event)
    lock_subject(enterprise=current.enterprise, site=current.site)
    if current.version != expected_version:
        raise StaleEditError(current)
    late_change_check(dates=[current.occurred_on, on], note=correction_note, field="correction_note")
    if correction_note.strip():
        current._change_reason = change_reason(correction_note)
    if on is not None:
        current.occurred_on = on
    if note is not None:
        current.note = note
    # Atomic and under the subject's lock, as _event_create.
    save_validated(current, user=user, bump_version=True, savepoint=False, locked=True)
    if photos:
        photos_add(event=current, uploads=photos, phase=phase, user=user)
    return current


@transaction.atomic
def event_delete(*, event: Event, expected_version: int, user: User | None, note: str = "") -> None:
    """Delete EVENT unless what remains would break a rule: a later stage needs it, or its site's 腾退 does.

    The deletion stays in the history, NOTE as its reason; NOTE is required where the event is dated in a closed month.
    """
    current = _event_for_update(event)
    lock_subject(enterprise=current.enterprise, site=current.site)
    if current.version != expected_version:
        raise StaleEditError(current)
    late_change_check(dates=[current.occurred_on], note=note)
    if note.strip():
        current._change_reason = change_reason(note)
    if current.enterprise_id:
        disposal = current.enterprise.disposal
        for later in Event.objects.filter(enterprise_id=current.enterprise_id, stage__gt=current.stage):
            if current.stage in stage_prerequisites(Stage(later.stage), disposal):
                raise ValidationError(
                    _("%(stage)s cannot be deleted while %(later)s is recorded.")
                    % {"stage": Stage(current.stage).label, "later": Stage(later.stage).label},
                    code="stage_needed_by_later",
                )
    if current.site_id:
        problem = site_reused_problem(
            site_name=current.site.name, vacated_on=None, supplied=supplied_projects(current.site_id)
        )
        if problem is not None:
            raise problem
    if current.enterprise_id and current.stage in LEAVING_STAGES:
        site = current.enterprise.site
        problem = still_out_problem(
            remaining_out_dates=Event.objects.filter(enterprise_id=current.enterprise_id, stage__in=LEAVING_STAGES)
            .exclude(pk=current.pk).values_list("occurred_on", flat=True),
            site_vacated_on=Event.objects.filter(site=site).values_list("occurred_on", flat=True).first(),
            site_name=site.name,
            enterprise_name=current.enterprise.name,
        )
        if problem is not None:
            raise problem
    # Its photos go with it: deleted here rather than by the cascade, so that their history names USER too.
    for photo in current.photos.all():
        delete_recorded(photo, user=user)
    delete_recorded(current, user=user)


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
    # Once for all of them, rather than the same refusal for each enterprise.
    late_change_check(dates=[on], note=note)
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

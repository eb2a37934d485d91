"""The register of order (快中求稳): disputes, petitions and safety hazards on a site or an enterprise, raised and resolved.

Closed months. The dashboard and the bulletin count the register per period
(raised, resolved, open at the period's end), so a change that moves those
counts in a closed month (its figures published) needs a note saying why, as
events do: recording an item, or resolving one, dated in a closed month;
moving its date raised or resolved from or into a closed month; changing the
kind of an item whose dates lie in one; deleting one. The note is kept as the
history row's change reason. Editing the description, the responsible group
or how it was resolved changes no count and needs none. Months are closed in
order, so checking the dates before and after a change finds every closed
month whose counts it moves.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..choices import RegisterKind
from ..derived import register_rollup
from ..models import AttackGroup, Enterprise, RegisterItem, Site
from .base import StaleEditError, User, delete_recorded, save_validated
from .periods import change_reason, late_change_check

# What an edit may change; the subject (and with it the town) stays: an item on the wrong subject is raised anew.
EDITABLE = ("kind", "raised_on", "description", "responsible_group", "resolved_on", "resolution")


def _recorder(user: User | None):
    return user if user is not None and user.is_authenticated else None


def _check_group(item: RegisterItem, group: AttackGroup | None) -> None:
    """Refuse a newly given group outside the active task force of the item's town (another town's: the model says)."""
    if group is None or group.task_force.town.pk != item.subject.town_id:
        return
    if group.task_force.pairing.ended_on is not None:
        raise ValidationError(
            {"responsible_group": ValidationError(
                _("The attack group belongs to a task force whose pairing has ended; choose one of the active task force."),
                code="group_not_active",
            )}
        )


def _check_resolution(item: RegisterItem) -> None:
    """A resolved item says how; an open one has no resolution yet."""
    if item.resolved_on is not None and not (item.resolution or "").strip():
        raise ValidationError(
            {"resolution": ValidationError(_("Say how the item was resolved."), code="resolution_required")}
        )
    if item.resolved_on is None and (item.resolution or "").strip():
        raise ValidationError(
            {"resolved_on": ValidationError(
                _("Give the date the item was resolved, or leave how it was resolved empty."),
                code="resolution_without_date",
            )}
        )


def _note_reason(item: RegisterItem, note: str) -> None:
    if (note or "").strip():
        item._change_reason = change_reason(note)


@transaction.atomic
def register_item_create(
    *, kind: RegisterKind, raised_on: date, description: str, user: User | None, site: Site | None = None,
    enterprise: Enterprise | None = None, responsible_group: AttackGroup | None = None, resolved_on: date | None = None,
    resolution: str = "", note: str = "",
) -> RegisterItem:
    """Record an item on SITE or ENTERPRISE (one of them), its town copied from it; return it.

    Refuses no subject or two, a date in the future, a resolution before the
    item was raised or without saying how, an attack group of another town or
    of an ended task force, and a date in a closed month without NOTE.
    """
    item = RegisterItem(
        site=site, enterprise=enterprise, kind=kind, raised_on=raised_on, description=description,
        responsible_group=responsible_group, resolved_on=resolved_on, resolution=resolution, recorded_by=_recorder(user),
    )
    if (site is None) == (enterprise is None):
        item.clean()  # the model's own refusal: no subject, or two
    item.town = item.subject.town
    _check_group(item, responsible_group)
    _check_resolution(item)
    late_change_check(dates=[raised_on, resolved_on], note=note)
    _note_reason(item, note)
    save_validated(item, user=user)
    register_rollup.refresh([item.town_id])
    return item


def _item_for_update(item: RegisterItem, expected_version: int) -> RegisterItem:
    """Lock ITEM's row as it is now; refuse one deleted since the page was loaded, or changed (StaleEditError)."""
    current = (
        RegisterItem.objects.select_for_update(of=("self",)).select_related("site", "enterprise").filter(pk=item.pk)
        .order_by("pk").first()
    )
    if current is None:
        raise ValidationError(
            _("Someone else deleted this item after you opened it; nothing was changed."), code="register_item_deleted"
        )
    if current.version != expected_version:
        raise StaleEditError(current)
    return current


def _touched_dates(current: RegisterItem, changes: dict) -> list[date | None]:
    """The dates whose months' counts CHANGES to CURRENT move (see the module's docstring)."""
    dates = []
    for name in ("raised_on", "resolved_on"):
        if name in changes and changes[name] != getattr(current, name):
            dates += [getattr(current, name), changes[name]]
    if "kind" in changes and changes["kind"] != current.kind:
        dates += [current.raised_on, current.resolved_on]
    return dates


@transaction.atomic
def register_item_update(
    *, item: RegisterItem, expected_version: int, user: User | None, note: str = "", **changes
) -> RegisterItem:
    """Change CHANGES (of kind, raised_on, description, responsible_group, resolved_on, resolution) of ITEM as seen
    at EXPECTED_VERSION; the old values stay in the history, NOTE as its reason (required where a closed month's
    counts move). Clearing resolved_on (and the resolution) reopens the item."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"register_item_update() cannot change {', '.join(sorted(unknown))}")
    current = _item_for_update(item, expected_version)
    dates = _touched_dates(current, changes)
    group_changed = "responsible_group" in changes and changes["responsible_group"] != current.responsible_group
    for name, value in changes.items():
        setattr(current, name, value)
    if group_changed:
        _check_group(current, current.responsible_group)
    _check_resolution(current)
    late_change_check(dates=dates, note=note)
    _note_reason(current, note)
    save_validated(current, user=user, bump_version=True)
    register_rollup.refresh([current.town_id])
    return current


@transaction.atomic
def register_item_resolve(
    *, item: RegisterItem, expected_version: int, resolved_on: date, resolution: str, user: User | None, note: str = "",
) -> RegisterItem:
    """Mark ITEM, open at EXPECTED_VERSION, resolved on RESOLVED_ON, saying how (RESOLUTION, required).

    Refuses an item resolved already (edit it instead), a date before it was raised
    or in the future, and a date in a closed month without NOTE.
    """
    current = _item_for_update(item, expected_version)
    if current.resolved_on is not None:
        raise ValidationError(
            _("This item was resolved on %(date)s already; edit it to change that.")
            % {"date": current.resolved_on.isoformat()},
            code="register_item_resolved_already",
        )
    current.resolved_on = resolved_on
    current.resolution = resolution
    _check_resolution(current)
    late_change_check(dates=[resolved_on], note=note)
    _note_reason(current, note)
    save_validated(current, user=user, bump_version=True)
    register_rollup.refresh([current.town_id])
    return current


@transaction.atomic
def register_item_delete(*, item: RegisterItem, expected_version: int, user: User | None, note: str = "") -> None:
    """Delete ITEM (admins only; None, a command on the server, may); it stays in the history, NOTE as its reason,
    required where it is dated in a closed month. Officials correct an item instead, or resolve it."""
    if user is not None and not permissions.is_admin(user):
        raise ValidationError(_("Only administrators may delete an item of the register."), code="register_admin_only")
    current = _item_for_update(item, expected_version)
    late_change_check(dates=[current.raised_on, current.resolved_on], note=note)
    _note_reason(current, note)
    delete_recorded(current, user=user)
    register_rollup.refresh([current.town_id])

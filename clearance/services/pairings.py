"""Pairings (一局长一乡镇) and their task forces (一专班): members, member bureaus, attack groups."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import MemberRole
from ..models import AttackGroup, BureauHead, Pairing, TaskForce, TaskForceMember, Town
from .base import User, save_validated, upsert_row


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
    save_validated(pairing, user=user)
    task_force = TaskForce(pairing=pairing, name=task_force_name or _("%(town)s task force") % {"town": town.name})
    save_validated(task_force, user=user)
    task_force.member_bureaus.add(head.bureau)
    member = TaskForceMember(
        task_force=task_force, person_name=head.name, role=MemberRole.HEAD, unit=head.bureau.name, user=head.user
    )
    save_validated(member, user=user)
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
        save_validated(old, user=user)
        task_force = getattr(old, "task_force", None)
        if task_force is not None:
            carried_members = list(
                task_force.members.exclude(role=MemberRole.HEAD).exclude(unit=old.head.bureau.name)
            )
    pairing = pairing_start(town=town, head=new_head, started_on=on, user=user)
    for member in carried_members:
        save_validated(
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
    return upsert_row(TaskForceMember, key=key, fields=fields, user=user).obj


@transaction.atomic
def attack_group_upsert(*, task_force: TaskForce, name: str, leader_name: str = "", user: User | None = None) -> AttackGroup:
    """Create or update the attack group NAME of TASK_FORCE."""
    return upsert_row(
        AttackGroup, key={"task_force": task_force, "name": name}, fields={"leader_name": leader_name}, user=user
    ).obj

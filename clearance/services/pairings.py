"""Pairings (一局长一乡镇) and their task forces (一专班): members, member bureaus, attack groups."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import MemberRole
from ..models import AttackGroup, Bureau, BureauHead, Enterprise, Pairing, TaskForce, TaskForceMember, Town
from .base import User, save_validated, upsert_row
from .edits import row_create, row_delete, row_update


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
    errors = {}
    if Pairing.objects.active().filter(town=town).exists():
        errors["town"] = ValidationError(
            _("%(town)s already has an active pairing; end it before starting another.") % {"town": town.name},
            code="town_already_paired",
        )
    if Pairing.objects.active().filter(head=head).exists():
        errors["head"] = ValidationError(
            _("%(head)s is already paired with another town.") % {"head": head.name}, code="head_already_paired"
        )
    if errors:
        raise ValidationError(errors)
    pairing = Pairing(town=town, head=head, started_on=started_on)
    save_validated(pairing, user=user)
    task_force = TaskForce(pairing=pairing, name=task_force_name or _("%(town)s task force") % {"town": town.name})
    save_validated(task_force, user=user)
    task_force_bureaus_set(task_force=task_force, bureaus=[head.bureau], user=user)
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
                {
                    "started_on": ValidationError(
                        _("The new pairing cannot start before the current one started (%(date)s).")
                        % {"date": old.started_on.isoformat()},
                        code="change_before_start",
                    )
                }
            )
        # The old pairing ends the day before the new one starts, so no day has two heads; one that started
        # that very day ends on it.
        old.ended_on = max(on - timedelta(days=1), old.started_on)
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
def task_force_member_upsert(
    *, task_force: TaskForce, person_name: str, user_account=None, role: str = MemberRole.MEMBER,
    unit: str = "", user: User | None = None,
) -> TaskForceMember:
    """Add PERSON_NAME to TASK_FORCE, or update their account, role and unit; with USER_ACCOUNT they may record for its town."""
    key = {"task_force": task_force, "person_name": person_name}
    fields = {"user": user_account, "role": role, "unit": unit}
    return upsert_row(TaskForceMember, key=key, fields=fields, user=user).obj


@transaction.atomic
def attack_group_upsert(*, task_force: TaskForce, name: str, leader_name: str = "", user: User | None = None) -> AttackGroup:
    """Create or update the attack group NAME of TASK_FORCE."""
    return upsert_row(
        AttackGroup, key={"task_force": task_force, "name": name}, fields={"leader_name": leader_name}, user=user
    ).obj


@transaction.atomic
def pairing_end(*, pairing: Pairing, on: date, user: User | None) -> Pairing:
    """End PAIRING on ON: its task force stops giving write access from then. Refuses a pairing already ended."""
    current = Pairing.objects.select_for_update().get(pk=pairing.pk)
    if current.ended_on is not None:
        raise ValidationError(
            {
                "ended_on": ValidationError(
                    _("This pairing already ended on %(date)s.") % {"date": current.ended_on.isoformat()},
                    code="pairing_already_ended",
                )
            }
        )
    current.ended_on = on
    save_validated(current, user=user)
    return current


@transaction.atomic
def pairing_update(
    *, pairing: Pairing, started_on: date, ended_on: date | None, note: str = "", user: User | None
) -> Pairing:
    """Correct the dates and note of PAIRING; refuse a reopening that would make its town or head paired twice."""
    # Town, then head, then the pairing: the lock order of pairing_start, so the two never deadlock.
    Town.objects.select_for_update().get(pk=pairing.town_id)
    BureauHead.objects.select_for_update().get(pk=pairing.head_id)
    current = Pairing.objects.select_for_update().get(pk=pairing.pk)
    if ended_on is None:
        others = Pairing.objects.active().exclude(pk=current.pk)
        problems = []
        if others.filter(town_id=current.town_id).exists():
            problems.append(
                ValidationError(
                    _("%(town)s already has another active pairing.") % {"town": current.town.name},
                    code="town_already_paired",
                )
            )
        if others.filter(head_id=current.head_id).exists():
            problems.append(
                ValidationError(
                    _("%(head)s is already paired with another town.") % {"head": current.head.name},
                    code="head_already_paired",
                )
            )
        if problems:
            raise ValidationError({"ended_on": problems})
    current.started_on, current.ended_on, current.note = started_on, ended_on, note
    save_validated(current, user=user)
    return current


@transaction.atomic
def pairing_delete(*, pairing: Pairing, user: User | None) -> None:
    """Delete PAIRING with its task force (members and attack groups, whose enterprises lose the group)."""
    task_force = TaskForce.objects.filter(pairing=pairing).first()
    if task_force is not None:
        task_force_delete(task_force=task_force, user=user)
    row_delete(pairing, user=user)


@transaction.atomic
def task_force_create(*, pairing: Pairing, name: str, user: User | None) -> TaskForce:
    """Create the task force NAME of PAIRING (pairing_start makes one already; this is for a pairing without)."""
    return row_create(TaskForce, fields={"pairing": pairing, "name": name}, user=user)


@transaction.atomic
def task_force_update(*, task_force: TaskForce, user: User | None, **fields) -> TaskForce:
    """Change FIELDS (name) of TASK_FORCE; its pairing is fixed."""
    return row_update(task_force, fields=fields, user=user)


@transaction.atomic
def task_force_delete(*, task_force: TaskForce, user: User | None) -> None:
    """Delete TASK_FORCE with its members and attack groups, each with a history row naming USER."""
    for group in task_force.attack_groups.order_by("pk"):
        attack_group_delete(group=group, user=user)
    for member in task_force.members.order_by("pk"):
        row_delete(member, user=user)
    task_force_bureaus_set(task_force=task_force, bureaus=[], user=user)
    row_delete(task_force, user=user)


@transaction.atomic
def task_force_bureaus_set(*, task_force: TaskForce, bureaus, user: User | None) -> TaskForce:
    """Make BUREAUS the member bureaus of TASK_FORCE; write nothing, not even history, when they already are."""
    wanted = {bureau.pk for bureau in bureaus}
    if set(task_force.member_bureaus.values_list("pk", flat=True)) == wanted:
        return task_force
    if user is not None and user.is_authenticated:
        task_force._history_user = user
    # set() removes and adds; simple_history keeps a version of the task force for each.
    task_force.member_bureaus.set(Bureau.objects.filter(pk__in=wanted))
    return task_force


@transaction.atomic
def task_force_member_create(
    *, task_force: TaskForce, person_name: str, user_account=None, role: str = MemberRole.MEMBER, unit: str = "",
    user: User | None,
) -> TaskForceMember:
    """Add the person PERSON_NAME to TASK_FORCE; with USER_ACCOUNT they may record progress for its town."""
    fields = {"task_force": task_force, "person_name": person_name, "user": user_account, "role": role, "unit": unit}
    return row_create(TaskForceMember, fields=fields, user=user)


@transaction.atomic
def task_force_member_update(*, member: TaskForceMember, user: User | None, **fields) -> TaskForceMember:
    """Change FIELDS (person_name, role, unit, user_account, task_force) of MEMBER."""
    if "user_account" in fields:
        fields["user"] = fields.pop("user_account")
    return row_update(member, fields=fields, user=user)


@transaction.atomic
def task_force_member_delete(*, member: TaskForceMember, user: User | None) -> None:
    """Take MEMBER off their task force: with an account, they lose write access to its town."""
    row_delete(member, user=user)


@transaction.atomic
def attack_group_create(*, task_force: TaskForce, name: str, leader_name: str = "", user: User | None) -> AttackGroup:
    """Create the attack group NAME of TASK_FORCE."""
    return row_create(
        AttackGroup, fields={"task_force": task_force, "name": name, "leader_name": leader_name}, user=user
    )


@transaction.atomic
def attack_group_update(*, group: AttackGroup, user: User | None, **fields) -> AttackGroup:
    """Change FIELDS (name, leader_name, task_force) of GROUP."""
    return row_update(group, fields=fields, user=user)


@transaction.atomic
def attack_group_delete(*, group: AttackGroup, user: User | None) -> None:
    """Delete GROUP, first taking it off its enterprises one by one, each with a history row and a new version.

    The database would clear responsible_group with one UPDATE and no history: the enterprise would lose
    its group with nobody named.
    """
    for enterprise in Enterprise.objects.select_for_update().filter(responsible_group=group).order_by("pk"):
        enterprise.responsible_group = None
        save_validated(enterprise, user=user, bump_version=True)
    row_delete(group, user=user)

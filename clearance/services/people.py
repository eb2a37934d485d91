"""People (人员): accounts with their name, phone, role and task force; deactivated, never deleted; passwords reset."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import MemberRole, PersonRole
from ..models import Profile, TaskForce, TaskForceMember
from ..permissions import LEADERS_GROUP, OFFICIALS_GROUP
from .base import User, save_validated
from .pairings import (
    task_force_member_create,
    task_force_member_delete,
    task_force_member_update,
)

ROLE_GROUPS = {PersonRole.ADMIN: None, PersonRole.LEADER: LEADERS_GROUP, PersonRole.OFFICIAL: OFFICIALS_GROUP}


def person_task_force_membership(person: AbstractUser) -> TaskForceMember | None:
    """Return PERSON's membership of an active task force that the people page manages (not a paired head's)."""
    return (
        TaskForceMember.objects.select_related("task_force__pairing__town")
        .filter(user=person, task_force__pairing__ended_on__isnull=True)
        .exclude(role=MemberRole.HEAD)
        .order_by("pk")
        .first()
    )


def person_role(person: AbstractUser) -> str:
    """Return the role PERSON's account carries, active or not: admin, leader, or else official (groups prefetched or not)."""
    if person.is_superuser:
        return PersonRole.ADMIN
    if any(group.name == LEADERS_GROUP for group in person.groups.all()):
        return PersonRole.LEADER
    return PersonRole.OFFICIAL


def _check(*, role: str, task_force: TaskForce | None, full_name: str) -> None:
    errors = {}
    if not full_name.strip():
        errors["full_name"] = ValidationError(_("Enter the person's name."), code="name_missing")
    if role not in PersonRole.values:
        errors["role"] = ValidationError(_("Choose a role."), code="role_invalid")
    if task_force is not None:
        if role != PersonRole.OFFICIAL:
            errors["task_force"] = ValidationError(
                _("Only a task force official belongs to a task force."), code="task_force_not_official"
            )
        elif task_force.pairing.ended_on is not None:
            errors["task_force"] = ValidationError(
                _("The task force %(name)s has ended; choose an active one.") % {"name": task_force.name},
                code="task_force_ended",
            )
    if errors:
        raise ValidationError(errors)


def _apply_role(person: AbstractUser, role: str) -> None:
    person.is_superuser = person.is_staff = role == PersonRole.ADMIN
    wanted = ROLE_GROUPS[role]
    role_groups = Group.objects.filter(name__in=[LEADERS_GROUP, OFFICIALS_GROUP])
    person.groups.remove(*role_groups.exclude(name=wanted))
    if wanted is not None:
        person.groups.add(Group.objects.get_or_create(name=wanted)[0])


def _record(person: AbstractUser, *, phone: str | None, reason: str, user: User | None) -> Profile:
    """Save PERSON's profile with a history row naming USER and saying, in REASON, what changed on the account."""
    profile = Profile.objects.select_for_update().filter(user=person).first() or Profile(user=person)
    if phone is not None:
        profile.phone = phone
    profile._change_reason = reason[:100]
    save_validated(profile, user=user)
    return profile


def _set_membership(person: AbstractUser, *, task_force: TaskForce | None, user: User | None) -> None:
    current = person_task_force_membership(person)
    name = person.get_full_name() or person.get_username()
    if current is None and task_force is not None:
        task_force_member_create(task_force=task_force, person_name=name, user_account=person, user=user)
    elif current is not None and task_force is None:
        task_force_member_delete(member=current, user=user)
    elif current is not None and (current.task_force_id != task_force.pk or current.person_name != name):
        task_force_member_update(member=current, task_force=task_force, person_name=name, user=user)


def _validate_password(password: str, person: AbstractUser) -> None:
    try:
        password_validation.validate_password(password, user=person)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error


@transaction.atomic
def person_create(
    *, username: str, full_name: str, phone: str = "", role: str, task_force: TaskForce | None = None,
    password: str, user: User | None,
) -> AbstractUser:
    """Create an active account USERNAME for FULL_NAME with ROLE, PASSWORD (checked by the password rules) and,
    for an official, membership of the active TASK_FORCE; refuse everything, writing nothing, on any bad input."""
    _check(role=role, task_force=task_force, full_name=full_name)
    person = get_user_model()(username=username, first_name=full_name.strip(), last_name="")
    person.set_unusable_password()
    person.full_clean(exclude=["password"])
    _validate_password(password, person)
    Profile(user=person, phone=phone).full_clean(exclude=["user"])
    person.set_password(password)
    person.save()
    _apply_role(person, role)
    _set_membership(person, task_force=task_force, user=user)
    _record(person, phone=phone, reason=_("Created as %(role)s") % {"role": PersonRole(role).label}, user=user)
    return person


@transaction.atomic
def person_update(
    *, person: AbstractUser, full_name: str, phone: str = "", role: str, task_force: TaskForce | None = None,
    user: User | None,
) -> AbstractUser:
    """Change PERSON's name, phone, role and (for an official) active task force; the history says what changed."""
    _check(role=role, task_force=task_force, full_name=full_name)
    current = type(person).objects.select_for_update().get(pk=person.pk)
    Profile(user=current, phone=phone).full_clean(exclude=["user"])
    old_role = person_role(current)
    if role != PersonRole.ADMIN and current.pk == getattr(user, "pk", None) and old_role == PersonRole.ADMIN:
        raise ValidationError(
            {"role": ValidationError(_("You cannot take away your own administrator role."), code="demote_self")}
        )
    changes = []
    if old_role != role:
        changes.append(_("role %(old)s → %(new)s") % {"old": PersonRole(old_role).label, "new": PersonRole(role).label})
    if current.first_name != full_name.strip() or current.last_name:
        changes.append(_("name %(old)s → %(new)s") % {"old": current.get_full_name(), "new": full_name.strip()})
    current.first_name, current.last_name = full_name.strip(), ""
    _apply_role(current, role)
    current.save(update_fields=["first_name", "last_name", "is_staff", "is_superuser"])
    _set_membership(current, task_force=task_force, user=user)
    _record(current, phone=phone, reason="；".join(changes) or _("Details changed"), user=user)
    return current


@transaction.atomic
def person_set_active(*, person: AbstractUser, active: bool, user: User | None) -> AbstractUser:
    """Deactivate PERSON (they can no longer sign in; their name stays in every history) or reactivate them.

    Never deletes; refuses an admin deactivating their own account.
    """
    current = type(person).objects.select_for_update().get(pk=person.pk)
    if not active and current.pk == getattr(user, "pk", None):
        raise ValidationError(_("You cannot deactivate your own account."), code="deactivate_self")
    if current.is_active == active:
        return current
    current.is_active = active
    current.save(update_fields=["is_active"])
    _record(current, phone=None, reason=_("Reactivated") if active else _("Deactivated"), user=user)
    return current


@transaction.atomic
def person_password_reset(*, person: AbstractUser, password: str, user: User | None) -> AbstractUser:
    """Give PERSON the new PASSWORD, checked by the project's password rules; the history names who reset it."""
    current = type(person).objects.select_for_update().get(pk=person.pk)
    _validate_password(password, current)
    current.set_password(password)
    current.save(update_fields=["password"])
    _record(current, phone=None, reason=_("Password reset"), user=user)
    return current


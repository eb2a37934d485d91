"""Who may see or change what: the one place the roles of DOMAIN.md are decided."""

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Town
from .selectors.compiled import compiled_read

LEADERS_GROUP = "leaders"
OFFICIALS_GROUP = "officials"
# The groups' stored names are code, kept in English; people read them in their language.
GROUP_LABELS = {LEADERS_GROUP: _("Leaders"), OFFICIALS_GROUP: _("Task force officials")}


def group_label(name: str) -> str:
    """Return the name of the group NAME as people read it: translated for the roles' groups, else as stored."""
    return str(GROUP_LABELS.get(name, name))


def is_admin(user: AbstractBaseUser) -> bool:
    """Admins (工作组 管理员) do everything."""
    return user.is_authenticated and user.is_active and user.is_superuser


def is_leader(user: AbstractBaseUser) -> bool:
    """Leaders read every page and export and write nothing."""
    return user.is_authenticated and not is_admin(user) and _in_group(user, LEADERS_GROUP)


def _in_group(user: AbstractBaseUser, name: str) -> bool:
    """Whether USER is in the group NAME (one query: every page asks it)."""
    return bool(_group_membership(user_id=user.pk, name=name))


@compiled_read(Group)
def _group_membership(*, user_id: int, name: str) -> QuerySet[Group]:
    return Group.objects.filter(user=user_id, name=name).values_list("pk", flat=True)[:1]


def is_official(user: AbstractBaseUser) -> bool:
    """Officials (镇街道 / 专班 工作人员): in the officials group, neither admin nor leader; they may write no town yet."""
    return (
        user.is_authenticated
        and user.is_active
        and not is_admin(user)
        and not is_leader(user)
        and _in_group(user, OFFICIALS_GROUP)
    )


def writable_towns(user: AbstractBaseUser) -> QuerySet[Town]:
    """Return the towns whose sites, enterprises and events USER may change.

    An official may write for the towns whose active task force (that of an
    active pairing) they belong to; admins for every town; leaders for none.
    """
    if not user.is_authenticated or not user.is_active:
        return Town.objects.none()
    if is_admin(user):
        return Town.objects.all()
    if is_leader(user):
        return Town.objects.none()
    return _task_force_towns(user).distinct()


def _task_force_towns(user: AbstractBaseUser) -> QuerySet[Town]:
    """The towns of the active task forces (those of an active pairing) USER is a member of."""
    return Town.objects.filter(pairings__ended_on__isnull=True, pairings__task_force__members__user=user)


def can_write_town(user: AbstractBaseUser, town: Town) -> bool:
    """Return whether USER may record progress and edit records of TOWN, as writable_towns says.

    In one query, none for an admin: every save asks it (TownWriteRequiredMixin).
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if is_admin(user):
        return True
    in_leaders = Group.objects.filter(name=LEADERS_GROUP, user=user)
    return _task_force_towns(user).filter(~Exists(in_leaders), pk=town.pk).exists()


ROLE_ADMIN, ROLE_LEADER, ROLE_OFFICIAL = "admin", "leader", "official"


def user_role(user: AbstractBaseUser) -> str:
    """Return the role of DOMAIN.md a signed-in USER acts in: admin, leader, or else official."""
    if is_admin(user):
        return ROLE_ADMIN
    if is_leader(user):
        return ROLE_LEADER
    return ROLE_OFFICIAL


def writable_town_ids(user: AbstractBaseUser) -> frozenset[int]:
    """Return the ids of the towns USER may write for, in one query (pages check many rows against it)."""
    return frozenset(writable_towns(user).values_list("pk", flat=True))


class TownWriteRequiredMixin:
    """Refuse with 403, for GET and POST alike, a user who may not write for the town of the view's object.

    The view defines get_permission_town(); signing in is enforced before (LoginRequiredMiddleware).
    """

    def get_permission_town(self) -> Town:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not can_write_town(request.user, self.get_permission_town()):
            raise PermissionDenied("You may not change records of this town.")
        return super().dispatch(request, *args, **kwargs)

"""Attack groups (攻坚小组) as the pages show them: in the order people number them, with their enterprises' progress."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..choices import Stage
from ..models import AttackGroup, Enterprise, Event, Town
from ..ordering import natural_rank, naturally_sorted
from .compiled import compiled_read


def _counted(queryset: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def town_attack_groups(*, town: Town) -> list[AttackGroup]:
    """Return the attack groups of TOWN's active task force in natural order (一 … 十三), with their progress to date.

    Each carries enterprise_count and signed_count, vacated_count, closed_count: its enterprises that reached
    the stage, whatever the date (as the sites' progress). One query however many groups; none without a pairing.
    """
    return naturally_sorted(_groups_with_counts(town_id=town.pk), key=lambda each: each.name)


@compiled_read(AttackGroup)
def _groups_with_counts(*, town_id: int) -> QuerySet[AttackGroup]:
    group = OuterRef("pk")
    return AttackGroup.objects.filter(
        task_force__pairing__town_id=town_id, task_force__pairing__ended_on__isnull=True
    ).annotate(
        enterprise_count=_counted(Enterprise.objects.filter(responsible_group=group)),
        signed_count=_counted(Event.objects.filter(enterprise__responsible_group=group, stage=Stage.SIGNED)),
        vacated_count=_counted(Event.objects.filter(enterprise__responsible_group=group, stage=Stage.VACATED)),
        closed_count=_counted(Event.objects.filter(enterprise__responsible_group=group, stage=Stage.CLOSED)),
    )


def town_group_choices(*, town: Town) -> list[tuple[int, str]]:
    """Return (pk, name) of every attack group of TOWN's task forces, past ones too, in natural order (one query).

    Enterprises keep the group they were given when a pairing ends, so the filters offer those groups too.
    """
    groups = AttackGroup.objects.filter(task_force__pairing__town=town).values_list("pk", "name")
    return naturally_sorted(groups, key=lambda each: each[1])


def with_group_rank(enterprises: QuerySet[Enterprise], *, group_names) -> QuerySet[Enterprise]:
    """Annotate `group_rank`: the rank of the enterprise's attack group among GROUP_NAMES in natural order.

    For sorting by group in the database (so pages still paginate); enterprises without a group come last.
    """
    return enterprises.annotate(group_rank=natural_rank("responsible_group__name", group_names))


def with_name_rank(groups: QuerySet[AttackGroup]) -> QuerySet[AttackGroup]:
    """Annotate `name_rank`: the rank of each group's name among all the groups' names in natural order.

    For the admin, whose lists and inlines sort in the database; one query for the distinct names (a few dozen).
    """
    names = AttackGroup.objects.order_by().values_list("name", flat=True).distinct()
    return groups.annotate(name_rank=natural_rank("name", names))

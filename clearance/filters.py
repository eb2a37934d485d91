"""django-filter filter sets of the pages' tables."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Category, CommitmentState, Disposal, Grade, ProjectKind, ProjectStage, SizeClass, Stage
from .widgets import OnePassSelect
from .models import Enterprise, IndicatorRow, Project, Site, SiteProgress, Town
from .selectors import NOT_STARTED
from .selectors.projects import NOT_DUE, overdue_projects


# The "my towns" workspace ----------------------------------------------------

STAGE_NONE = "none"


def _yes_no() -> forms.Select:
    return forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


def _stage_choices(*, none_label) -> list[tuple[str, str]]:
    return [(STAGE_NONE, none_label), *((str(value), label) for value, label in Stage.choices)]


def _filter_stage(queryset, name, value):
    """Keep rows at the stage VALUE; "none" keeps those with no progress yet."""
    if value == STAGE_NONE:
        return queryset.filter(Q(stage__isnull=True) | Q(stage=NOT_STARTED))
    return queryset.filter(stage=int(value))


class SiteFilter(django_filters.FilterSet):
    """Filters of the workspace's site table: name, stage, overdue."""

    name = django_filters.CharFilter(label=_("Name contains"), lookup_expr="icontains")
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=_stage_choices(none_label=_("No progress yet")), method=_filter_stage,
        empty_label=_("Any"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"), field_name="is_overdue", widget=_yes_no()
    )

    class Meta:
        model = Site
        fields = ["name", "stage", "overdue"]


GROUP_NONE = "none"


class EnterpriseFilter(django_filters.FilterSet):
    """Filters of the workspace's enterprise table: name, stage, disposal, category, tenant, overdue, attack group.

    GROUP_CHOICES are the town's attack groups as (pk, name), in the order people number them.
    """

    name = django_filters.CharFilter(label=_("Name contains"), lookup_expr="icontains")
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=_stage_choices(none_label=_("No progress yet")), method=_filter_stage,
        empty_label=_("Any"),
    )
    disposal = django_filters.ChoiceFilter(label=_("Disposal"), choices=Disposal.choices, empty_label=_("Any"))
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Category.choices, method="filter_category", empty_label=_("Any")
    )
    tenant = django_filters.BooleanFilter(
        label=_("Tenant"), field_name="is_tenant", widget=_yes_no()
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"), field_name="is_overdue", widget=_yes_no()
    )
    group = django_filters.ChoiceFilter(
        label=_("Attack group"), choices=[], method="filter_group", empty_label=_("Any")
    )

    class Meta:
        model = Enterprise
        fields = ["name", "stage", "disposal", "category", "tenant", "overdue", "group"]

    def __init__(self, *args, group_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["group"].extra["choices"] = [
            *((str(pk), name) for pk, name in group_choices), (GROUP_NONE, _("No attack group")),
        ]

    def filter_group(self, queryset, name, value):
        if value == GROUP_NONE:
            return queryset.filter(responsible_group__isnull=True)
        return queryset.filter(responsible_group_id=int(value))

    def filter_category(self, queryset, name, value):
        # Each category is a boolean field named by the choice's value.
        return queryset.filter(**{Category(value).value: True})


# The projects on vacated land (换鸟) ---------------------------------------------

PROJECT_STAGE_NONE = "none"


class ProjectFilter(django_filters.FilterSet):
    """Filters of the project list: town, kind, stage reached (or none yet), commitment, overdue, name."""

    town = django_filters.ModelChoiceFilter(
        label=_("Township"), field_name="town", queryset=Town.objects.order_by("display_order", "name"),
        empty_label=_("All townships"), widget=OnePassSelect,
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProjectKind.choices, empty_label=_("Any"))
    stage = django_filters.ChoiceFilter(
        label=_("Stage reached"),
        choices=[(PROJECT_STAGE_NONE, _("No stage yet")), *((str(value), label) for value, label in ProjectStage.choices)],
        method="filter_stage", empty_label=_("Any"),
    )
    commitment = django_filters.ChoiceFilter(
        label=_("Commitment"), field_name="commitment_state",
        choices=[*CommitmentState.choices, (NOT_DUE, _("Not due"))], empty_label=_("Any"),
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue", widget=_yes_no())
    name = django_filters.CharFilter(label=_("Name contains"), lookup_expr="icontains")

    class Meta:
        model = Project
        fields = ["town", "kind", "stage", "commitment", "overdue", "name"]

    def filter_stage(self, queryset, name, value):
        if value == PROJECT_STAGE_NONE:
            return queryset.filter(stage__isnull=True)
        return queryset.filter(stage=int(value))

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_projects()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


# The evaluation (亩均效益评价) ---------------------------------------------------

GRADE_NONE = "none"


class EvaluationFilter(django_filters.FilterSet):
    """Filters of a year's evaluation table: town, class (or not graded), size class, candidate, name.

    Without_town drops the town filter (a town's own page).
    """

    town = django_filters.ModelChoiceFilter(
        label=_("Township"), field_name="town", queryset=Town.objects.order_by("display_order", "name"),
        empty_label=_("All townships"),
    )
    grade = django_filters.ChoiceFilter(
        label=pgettext_lazy("evaluation", "Class"), choices=[*Grade.choices, (GRADE_NONE, _("Not graded"))],
        method="filter_grade", empty_label=_("Any"),
    )
    size = django_filters.ChoiceFilter(label=_("Size class"), choices=SizeClass.choices, empty_label=_("Any"))
    candidate = django_filters.BooleanFilter(label=_("Candidate for clearance"), field_name="candidate", widget=_yes_no())
    name = django_filters.CharFilter(label=_("Name contains"), field_name="enterprise_name", lookup_expr="icontains")

    class Meta:
        model = IndicatorRow
        fields = ["town", "grade", "size", "candidate", "name"]

    def __init__(self, *args, without_town=False, **kwargs):
        super().__init__(*args, **kwargs)
        if without_town:
            del self.filters["town"]

    def filter_grade(self, queryset, name, value):
        return queryset.filter(grade="" if value == GRADE_NONE else value)


# The battle board (作战图) -----------------------------------------------------


class BoardFilter(django_filters.FilterSet):
    """Filters of the battle board, over the sites' stored progress: town, and the disposal method or category of an
    enterprise on the site (a SiteProgress row's pk is its site's)."""

    town = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Town.objects.all(), empty_label=_("All townships")
    )
    disposal = django_filters.ChoiceFilter(
        label=_("Disposal"), choices=Disposal.choices, method="filter_disposal", empty_label=_("Any")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Category.choices, method="filter_category", empty_label=_("Any")
    )

    class Meta:
        model = SiteProgress
        fields = ["town", "disposal", "category"]

    def filter_disposal(self, queryset, name, value):
        return queryset.filter(Exists(Enterprise.objects.filter(site=OuterRef("pk"), disposal=value)))

    def filter_category(self, queryset, name, value):
        # Each category is a boolean field named by the choice's value (validated against the choices).
        return queryset.filter(Exists(Enterprise.objects.filter(site=OuterRef("pk"), **{Category(value).value: True})))

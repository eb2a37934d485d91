"""The register of order's forms (record, edit, resolve an item) and the filters of its list."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import RegisterKind
from .forms import (
    EARLIEST_EVENT,
    NaturalOrderModelChoiceField,
    TextCheckedForm,
    VersionedForm,
    validate_event_date,
    validate_not_future,
)
from .models import AttackGroup, RegisterItem, Town

STATUS_OPEN, STATUS_RESOLVED = "open", "resolved"


def _date_field(label, *, required: bool = True) -> forms.DateField:
    widget = forms.DateInput(
        attrs={"type": "date", "min": EARLIEST_EVENT.isoformat(), "max": timezone.localdate().isoformat()},
        format="%Y-%m-%d",
    )
    return forms.DateField(label=label, required=required, widget=widget,
                           validators=[validate_event_date, validate_not_future])


def _note_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for a late change"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required where a date lies in a closed month (its figures published): say why it changes."),
    )


def group_choices(town: Town, *, keep: AttackGroup | None = None):
    """The attack groups of TOWN's active task force (and KEEP, the item's group now, should its pairing have ended)."""
    wanted = Q(task_force__pairing__town=town, task_force__pairing__ended_on__isnull=True)
    if keep is not None:
        wanted |= Q(pk=keep.pk)
    return AttackGroup.objects.filter(wanted)


class RegisterItemForm(TextCheckedForm):
    """An item's own fields, for recording one (TOWN: its subject's) or editing one (with VERSION)."""

    kind = forms.ChoiceField(label=pgettext_lazy("register", "Kind"), choices=RegisterKind.choices)
    raised_on = _date_field(_("Date raised"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible_group = NaturalOrderModelChoiceField(
        label=_("Responsible attack group"), queryset=AttackGroup.objects.none(), required=False,
        empty_label=_("None yet"),
    )
    resolved_on = _date_field(_("Date resolved"), required=False)
    resolution = forms.CharField(label=_("How it was resolved"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    note = _note_field()

    def __init__(self, *args, town: Town, item: RegisterItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_group"].queryset = group_choices(town, keep=item.responsible_group if item else None)

    def item_fields(self) -> dict:
        """The cleaned values of the item's own fields, for the services."""
        return {name: self.cleaned_data[name] for name in
                ("kind", "raised_on", "description", "responsible_group", "resolved_on", "resolution")}


class RegisterItemEditForm(VersionedForm, RegisterItemForm):
    """An item's fields, carrying the version it was loaded at."""


class RegisterResolveForm(VersionedForm):
    """Mark an open item resolved: when, and how."""

    resolved_on = _date_field(_("Date resolved"))
    resolution = forms.CharField(label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}))
    note = _note_field()


def _filter_status(queryset, name, value):
    if value == STATUS_OPEN:
        return queryset.filter(resolved_on__isnull=True)
    return queryset.filter(resolved_on__isnull=False)


def _filter_subject(queryset, name, value):
    return queryset.filter(Q(site__name__icontains=value) | Q(enterprise__name__icontains=value))


class RegisterFilter(django_filters.FilterSet):
    """Filters of the register's list: town, kind, open or resolved, the name of the site or enterprise."""

    town = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Town.objects.order_by("display_order", "name"), empty_label=_("Any")
    )
    kind = django_filters.ChoiceFilter(
        label=pgettext_lazy("register", "Kind"), choices=RegisterKind.choices, empty_label=_("Any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=[(STATUS_OPEN, _("Open")), (STATUS_RESOLVED, _("Resolved"))],
        method=_filter_status, empty_label=_("Any"),
    )
    subject = django_filters.CharFilter(label=_("Site or enterprise contains"), method=_filter_subject)

    class Meta:
        model = RegisterItem
        fields = ["town", "kind", "status", "subject"]

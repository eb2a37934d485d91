"""The audit page (变更记录): who changed the events, enterprises, sites and targets the figures come from."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from ..selectors import audit
from ..choices import Metric
from ..models import Town
from ..rules import MAX_YEAR, MIN_YEAR


class AuditFilterForm(forms.Form):
    def clean(self):
        cleaned_data = super().clean()
        since, until = cleaned_data.get("since"), cleaned_data.get("until")
        if since and until and since > until:
            raise ValidationError(_("The start date is after the end date."), code="dates_reversed")
        if (cleaned_data.get("metric") or cleaned_data.get("month")) and not cleaned_data.get("year"):
            raise ValidationError(_("Choose the year of the figure."), code="figure_without_year")
        return cleaned_data


class AuditFilter(django_filters.FilterSet):
    """Filters of the audit page, applied alike to the history of each kind of record (see audit.audit_histories)."""

    town = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Town.objects.all(), empty_label=_("All townships"), method="filter_town"
    )
    user = django_filters.ModelChoiceFilter(
        label=_("Changed by"), queryset=get_user_model().objects.order_by("username"), empty_label=_("Anyone"),
        field_name="history_user",
    )
    kind = django_filters.ChoiceFilter(
        label=_("Record"), choices=list(audit.KIND_LABELS.items()), empty_label=_("Any"), method="filter_kind"
    )
    since = django_filters.DateFilter(
        label=_("From date"), method="filter_since", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        label=_("To date"), method="filter_until", widget=forms.DateInput(attrs={"type": "date"})
    )

    # The figure a "who changed this?" link was clicked from: its metric and period (1 January to the month's end).
    metric = django_filters.ChoiceFilter(
        label=_("Figure"), choices=Metric.choices, empty_label=_("Any"), method="filter_figure"
    )
    year = django_filters.NumberFilter(
        label=_("Year"), method="filter_figure", min_value=MIN_YEAR, max_value=MAX_YEAR
    )
    month = django_filters.NumberFilter(label=_("To month"), method="filter_figure", min_value=1, max_value=12)

    class Meta:
        form = AuditFilterForm
        fields = ["town", "user", "kind", "since", "until", "metric", "year", "month"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # People by name, as the list of changes shows them.
        self.form.fields["user"].label_from_instance = lambda user: user.get_full_name() or user.get_username()

    def filter_town(self, queryset, name, value):
        return audit.history_of_town(queryset, value)

    def filter_kind(self, queryset, name, value):
        return queryset if audit.kind_of(queryset.model) == value else queryset.none()

    def filter_figure(self, queryset, name, value):
        # metric, year and month act together: applied once, by the year's filter.
        if name != "year":
            return queryset
        data = self.form.cleaned_data
        return audit.history_of_figure(queryset, metric=data.get("metric") or None, year=int(value),
                                       month=int(data["month"]) if data.get("month") else None)

    def filter_since(self, queryset, name, value):
        return audit.history_between(queryset, since=value)

    def filter_until(self, queryset, name, value):
        return audit.history_between(queryset, until=value)


class AuditView(TemplateView):
    """Every change to the records behind the figures, newest first, filtered and paginated.

    Every signed-in role reads it: leaders see who changed a figure, officials their own town's changes.
    """

    http_method_names = ["get", "head", "options"]
    template_name = "clearance/audit.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        histories = audit.audit_histories()
        # Bound even when empty, so an address without filters lists everything.
        filterset = AuditFilter(self.request.GET, queryset=histories[audit.KIND_EVENT])
        if filterset.is_valid():
            rows = audit.audit_rows({kind: filterset.filter_queryset(records) for kind, records in histories.items()})
        else:
            # A bad filter shows its error and lists nothing, rather than everything.
            rows = audit.audit_rows({kind: records.none() for kind, records in histories.items()})
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter=filterset,
            page_obj=page,
            entries=audit.audit_entries(page.object_list),
            filter_query=query.urlencode(),
            filtered_town=filterset.form.cleaned_data.get("town") if filterset.is_valid() else None,
        )
        return context

"""Thin views: each asks a selector for its data and a template to show it."""

from django.db.models import Prefetch, QuerySet
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, TemplateView

from . import permissions, selectors
from .choices import METRIC_UNITS, Metric
from .models import Enterprise, Event, Site

ROLE_LABELS = {
    "admin": _("Administrator"),
    "leader": _("Leader"),
    "official": _("Official"),
}


def _city_figure_rows(*, year: int, month: int) -> list[dict]:
    """Return the city's three figures for the period, in Metric order, each with its label and unit."""
    figures = selectors.city_figures(year=year, month=month)
    return [
        {
            "key": metric.value,
            "label": metric.label,
            "value": figures[metric.value],
            "unit": METRIC_UNITS[metric],
            # Enterprises are counted; areas and energy are Decimal sums shown to two decimals.
            "is_count": metric == Metric.ENTERPRISES_RECTIFIED,
        }
        for metric in Metric
    ]


class HomeView(TemplateView):
    """The signed-in home until the dashboard exists: who you are, what you may do, the city's figures."""

    template_name = "clearance/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        role = permissions.user_role(user)
        context.update(role=role, role_label=ROLE_LABELS[role], period=None, figures=[])
        if role == "official":
            context["writable_towns"] = list(permissions.writable_towns(user))
        latest = selectors.latest_period()
        if latest is not None:
            year, month = latest
            context["period"] = {"year": year, "month": month, "month_name": MONTHS[month]}
            context["figures"] = _city_figure_rows(year=year, month=month)
        return context


class SiteDetailView(DetailView):
    model = Site
    template_name = "clearance/site_detail.html"

    def get_queryset(self) -> QuerySet[Site]:
        # One query per relation whatever the number of enterprises: the
        # stages are subqueries of the same SELECTs, not a query per row.
        enterprises = selectors.with_enterprise_stage(Enterprise.objects.order_by("name"))
        return selectors.with_site_stage(Site.objects.select_related("town", "parent")).prefetch_related(
            Prefetch("children", queryset=Site.objects.order_by("name")),
            Prefetch("enterprises", queryset=enterprises),
            Prefetch("events", queryset=Event.objects.select_related("recorded_by")),
        )


class EnterpriseDetailView(DetailView):
    model = Enterprise
    template_name = "clearance/enterprise_detail.html"

    def get_queryset(self) -> QuerySet[Enterprise]:
        return Enterprise.objects.select_related("town", "site", "responsible_group").prefetch_related(
            Prefetch("events", queryset=Event.objects.select_related("recorded_by").order_by("stage")),
        )

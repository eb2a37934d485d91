"""Pages leaders read: the home page (the dashboard to come)."""

from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .. import permissions, selectors
from ..choices import METRIC_UNITS, Metric

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

"""Pages where progress on sites and enterprises is read and recorded."""

from django.db.models import Prefetch, QuerySet
from django.views.generic import DetailView

from .. import selectors
from ..models import Enterprise, Event, Site


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

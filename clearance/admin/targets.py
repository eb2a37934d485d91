"""Admin of the yearly targets and Jiaxing's bulletin figures."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .. import selectors, services
from ..choices import TARGET_METRIC_CHOICES
from ..models import BulletinFigure, Target
from .base import ClearanceAdmin


class TargetScopeFilter(admin.SimpleListFilter):
    title = _("scope")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("city", _("City")), ("town", _("Towns"))]

    def queryset(self, request, queryset):
        if self.value() in ("city", "town"):
            return queryset.filter(town__isnull=self.value() == "city")
        return queryset


@admin.register(Target)
class TargetAdmin(ClearanceAdmin):
    entity, subject = "target", "target"
    list_display = ["year", "metric", "scope", "value"]
    list_display_links = ["year", "metric"]
    list_select_related = ["town"]
    list_filter = ["year", "metric", TargetScopeFilter, "town"]
    search_fields = ["town__name"]
    autocomplete_fields = ["town"]

    actions = ["copy_allocation_to_next_year"]

    @admin.display(description=_("scope"), ordering="town__display_order")
    def scope(self, obj):
        return obj.town or _("city")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for gap in selectors.target_allocation_gaps():
                self.message_user(
                    request,
                    _(
                        "%(year)s %(metric)s: the towns' allocations add up to %(towns)s, the city's target is "
                        "%(city)s (difference %(difference)s)."
                    )
                    % {
                        "year": gap.year, "metric": dict(TARGET_METRIC_CHOICES)[gap.metric], "towns": gap.towns, "city": gap.city,
                        "difference": f"{gap.difference:+}",
                    },
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Copy the towns' allocation of the selected years to the next year"))
    def copy_allocation_to_next_year(self, request, queryset):
        for year in sorted(set(queryset.values_list("year", flat=True))):
            created, kept = services.targets_copy_year(from_year=year, user=request.user)
            self.message_user(
                request,
                _("%(created)s town targets copied from %(year)s to %(next)s; %(kept)s already set there were kept.")
                % {"created": created, "year": year, "next": year + 1, "kept": kept},
                messages.SUCCESS,
            )


@admin.register(BulletinFigure)
class BulletinFigureAdmin(ClearanceAdmin):
    entity, subject = "bulletin_figure", "figure"
    list_display = ["county", "year", "month", "metric", "actual", "target"]
    list_display_links = ["county", "year", "month"]
    list_select_related = ["county"]
    list_filter = ["year", "metric", "county"]
    search_fields = ["county__name"]

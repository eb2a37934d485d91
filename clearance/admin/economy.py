"""Admin of the economy (快中求稳): the monthly figures of Pinghu and Jiaxing and each year's base month, via services."""

from django.contrib import admin

from ..models import EconomyFigure, EconomyYear
from ..services import economy as services
from .base import ClearanceAdmin, VersionedForm, form_values

FIGURES = ["value_added_growth_pct", "manufacturing_investment_yi", "manufacturing_investment_growth_pct", "employment"]


class EconomyFigureForm(VersionedForm):
    class Meta:
        model = EconomyFigure
        fields = "__all__"


@admin.register(EconomyFigure)
class EconomyFigureAdmin(ClearanceAdmin):
    form = EconomyFigureForm
    list_display = ["region", "year", "month", *FIGURES]
    list_display_links = ["region", "year", "month"]
    list_filter = ["year", "region"]
    fields = ["region", "year", "month", *FIGURES, "version", "expected_version"]
    readonly_fields = ["version"]

    def service_save(self, request, obj, form, change):
        values = form_values(obj, form, skip=("expected_version",))
        if change:
            return services.economy_figure_update(
                figure=obj, expected_version=form.cleaned_data["expected_version"], user=request.user, **values,
            )
        return services.economy_figure_create(user=request.user, **values)

    def service_delete(self, request, obj):
        services.economy_figure_delete(figure=obj, expected_version=obj.version, user=request.user)


@admin.register(EconomyYear)
class EconomyYearAdmin(ClearanceAdmin):
    list_display = ["year", "employment_base_month"]
    fields = ["year", "employment_base_month"]

    def get_readonly_fields(self, request, obj=None):
        # A year's choices belong to their year; ones made for the wrong year are deleted and made anew.
        return ["year"] if obj else []

    def service_save(self, request, obj, form, change):
        if change:
            return services.economy_year_update(economy_year=obj, user=request.user,
                                                employment_base_month=form.cleaned_data["employment_base_month"])
        return services.economy_year_create(user=request.user, **form_values(obj, form))

    def service_delete(self, request, obj):
        services.economy_year_delete(economy_year=obj, user=request.user)

"""Admin of the 亩均效益评价: evaluated enterprises, their yearly data, the schemes with their weights, the adjustments.

Every write that moves a score goes through services.evaluation, which scores the year and size class again;
the scores, positions and classes are shown and never edited.
"""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ..choices import Grade, Indicator
from ..models import Adjustment, EvaluatedEnterprise, IndicatorRow, Scheme, SchemeWeight
from ..models.evaluation import score_field
from ..selectors.schemes import scoring_waits
from ..services import evaluation as services
from .base import ClearanceAdmin, ReadOnlyInline, ServiceInline, VersionedForm, adopt, form_values, refused_on

# What scores_recompute writes on a row: shown, never edited.
ROW_SCORES = ["total", "position", "graded_count", "class_label", "indicator_scores"]
FIGURES = [
    "land_mu", "tax_wan", "value_added_wan", "revenue_wan", "energy_tce", "emission_t", "rd_wan", "employees",
    "power_10k_kwh",
]


def class_of(obj: IndicatorRow) -> str:
    """Return the row's class as the evaluation names it (A类), or "-" for a row not graded."""
    return _("class %(grade)s") % {"grade": obj.grade} if obj.grade else "-"


class ClassFilter(admin.SimpleListFilter):
    title = _("class")
    parameter_name = "grade"
    none = "none"

    def lookups(self, request, model_admin):
        return [*((grade.value, _("class %(grade)s") % {"grade": grade.value}) for grade in Grade),
                (self.none, _("no class"))]

    def queryset(self, request, queryset):
        if self.value() == self.none:
            return queryset.filter(grade="")
        if self.value() in Grade.values:
            return queryset.filter(grade=self.value())
        return queryset


class ClassMixin:
    @admin.display(description=_("class"), ordering="grade")
    def class_label(self, obj):
        return class_of(obj)


# Evaluated enterprises --------------------------------------------------------------------------------


class EnterpriseRowInline(ClassMixin, ReadOnlyInline):
    model = IndicatorRow
    fields = ["year", "size", "exempt", "total", "position", "class_label"]
    verbose_name_plural = _("evaluation data")


class EnterpriseAdjustmentInline(ReadOnlyInline):
    model = Adjustment
    fields = ["year", "points", "reason", "created_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class EvaluatedEnterpriseForm(VersionedForm):
    class Meta:
        model = EvaluatedEnterprise
        fields = "__all__"


@admin.register(EvaluatedEnterprise)
class EvaluatedEnterpriseAdmin(ClearanceAdmin):
    form = EvaluatedEnterpriseForm
    ordering = ["town__display_order", "name"]
    list_display = ["name", "town", "credit_code"]
    list_select_related = ["town"]
    list_filter = ["town"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["town"]
    fields = ["name", "credit_code", "town", "version", "expected_version"]
    readonly_fields = ["version"]
    inlines = [EnterpriseRowInline, EnterpriseAdjustmentInline]

    def service_save(self, request, obj, form, change):
        if change:
            return services.evaluated_enterprise_update(
                enterprise=obj, expected_version=form.cleaned_data["expected_version"], user=request.user,
                **form_values(obj, form),
            )
        return services.evaluated_enterprise_create(user=request.user, **form_values(obj, form))

    def service_delete(self, request, obj):
        services.evaluated_enterprise_delete(enterprise=obj, expected_version=obj.version, user=request.user)


# Evaluation data -----------------------------------------------------------------------------------------


class IndicatorRowForm(VersionedForm):
    class Meta:
        model = IndicatorRow
        fields = "__all__"


@admin.register(IndicatorRow)
class IndicatorRowAdmin(ClassMixin, ClearanceAdmin):
    form = IndicatorRowForm
    list_display = ["enterprise", "town", "year", "size", "exempt", "total", "position", "class_label"]
    list_display_links = ["enterprise", "year"]
    # The row's own town (its enterprise's, kept so by the services): a column the list reads with the row.
    list_select_related = ["enterprise", "town"]
    list_filter = ["year", "size", ClassFilter, "exempt", "town"]
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    autocomplete_fields = ["enterprise"]
    fieldsets = [
        (None, {"fields": ["enterprise", "year", "size", "exempt", "version", "expected_version"]}),
        (_("Figures"), {"fields": FIGURES}),
        (_("Indicators"), {"fields": Indicator.values}),
        (_("Scores"), {"fields": ROW_SCORES}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A row belongs to its enterprise and year; one entered for the wrong ones is deleted and entered anew.
        computed = [*Indicator.values, *ROW_SCORES, "version"]
        return ["enterprise", "year", *computed] if obj else computed

    @admin.display(description=_("scores by indicator"))
    def indicator_scores(self, obj):
        scored = [
            (indicator.label, f"{getattr(obj, score_field(indicator)):.2f}")
            for indicator in Indicator
            if getattr(obj, score_field(indicator)) is not None
        ]
        return format_html_join("", "<div>{}：{}</div>", scored) or "-"

    def service_save(self, request, obj, form, change):
        values = form_values(obj, form)
        if change:
            saved = services.indicator_row_update(
                row=obj, expected_version=form.cleaned_data["expected_version"], user=request.user, **values,
            )
        else:
            saved = services.indicator_row_create(user=request.user, **values)
        say_if_scoring_waits(self, request, saved.year)
        return saved

    def service_delete(self, request, obj):
        services.indicator_row_delete(row=obj, expected_version=obj.version, user=request.user)
        say_if_scoring_waits(self, request, obj.year)


def say_if_scoring_waits(page: admin.ModelAdmin, request, year: int) -> None:
    """Tell the admin when the change just saved is scored by the task worker (a large year), not yet."""
    if scoring_waits(year):
        page.message_user(request, _("The task worker is scoring %(year)s again: its scores, positions and classes "
                                     "change when it finishes.") % {"year": year}, messages.INFO)


# Schemes ---------------------------------------------------------------------------------------------------


class SchemeWeightInline(ServiceInline):
    """A scheme's weight of each indicator: saved with the scheme, in one scheme_update (see SchemeAdmin)."""

    model = SchemeWeight
    fields = ["indicator", "weight", "fixed_benchmark", "benchmark_used"]
    readonly_fields = ["indicator", "benchmark_used"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SchemeForm(VersionedForm):
    class Meta:
        model = Scheme
        fields = "__all__"


@admin.register(Scheme)
class SchemeAdmin(ClearanceAdmin):
    form = SchemeForm
    list_display = ["year", "size", "cap", "cut_a", "cut_b", "cut_c", "graded_count", "computed_at"]
    list_display_links = ["year", "size"]
    list_filter = ["year", "size"]
    fields = ["year", "size", "cap", "cut_a", "cut_b", "cut_c", "graded_count", "computed_at", "version",
              "expected_version"]
    inlines = [SchemeWeightInline]

    def get_readonly_fields(self, request, obj=None):
        computed = ["graded_count", "computed_at", "version"]
        return ["year", "size", *computed] if obj else computed

    def get_inlines(self, request, obj):
        # A new scheme starts with DOMAIN.md's default weights; they are changed on its page once it exists.
        return self.inlines if obj else []

    def service_save(self, request, obj, form, change):
        if change:
            return obj  # saved with its weights in save_related: one scheme_update, one scoring
        return services.scheme_create(user=request.user, **form_values(obj, form))

    def save_related(self, request, form, formsets, change):
        if not change:
            return super().save_related(request, form, formsets, change)
        for formset in formsets:
            formset.save(commit=False)  # writes nothing; the change message reads what it found changed
        weights = {
            each.instance.indicator: (each.cleaned_data.get("weight"), each.cleaned_data.get("fixed_benchmark"))
            for formset in formsets
            for each in formset.forms
        }
        fields = {name: form.cleaned_data[name] for name in services.SCHEME_FIELDS}
        with refused_on(form):
            saved = services.scheme_update(
                scheme=form.instance, expected_version=form.cleaned_data["expected_version"], user=request.user,
                weights=weights, **fields,
            )
        adopt(form.instance, saved)
        say_if_scoring_waits(self, request, saved.year)

    def service_delete(self, request, obj):
        services.scheme_delete(scheme=obj, expected_version=obj.version, user=request.user)


# Adjustments ---------------------------------------------------------------------------------------------


@admin.register(Adjustment)
class AdjustmentAdmin(ClearanceAdmin):
    list_display = ["enterprise", "year", "points", "reason", "created_by", "created_at"]
    list_display_links = ["enterprise", "year"]
    list_select_related = ["enterprise", "created_by"]
    list_filter = ["year"]
    search_fields = ["enterprise__name", "reason"]
    autocomplete_fields = ["enterprise"]
    fields = ["enterprise", "year", "points", "reason", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        # An adjustment given in error is deleted and given anew: each one stays in the history as it was scored.
        return False

    def service_save(self, request, obj, form, change):
        adjustment = services.adjustment_add(user=request.user, **form_values(obj, form))
        say_if_scoring_waits(self, request, adjustment.year)
        return adjustment

    def service_delete(self, request, obj):
        services.adjustment_delete(adjustment=obj, user=request.user)
        say_if_scoring_waits(self, request, obj.year)

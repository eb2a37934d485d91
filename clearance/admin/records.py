"""Admin of the clearance records: sites and enterprises, each edited through the services the pages use."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from .. import services
from ..choices import Category, Stage
from ..forms import NaturalOrderModelChoiceField
from ..models import AttackGroup, Enterprise, Event, Site
from .base import ClearanceAdmin, ReadOnlyInline, VersionedForm, form_values, stage_label, with_current_stage


class CurrentStageFilter(admin.SimpleListFilter):
    """Filter enterprises on the annotation current_stage (their most advanced stage)."""

    title = _("current stage")
    parameter_name = "current_stage"
    none = "none"

    def lookups(self, request, model_admin):
        return [(self.none, _("Nothing recorded")), *((str(stage.value), stage.label) for stage in Stage)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.none:
            return queryset.filter(current_stage__isnull=True)
        if value in {str(stage.value) for stage in Stage}:
            return queryset.filter(current_stage=int(value))
        return queryset


class SiteVacatedFilter(admin.SimpleListFilter):
    title = _("vacated")
    parameter_name = "vacated"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(vacated_on__isnull=self.value() == "no")
        return queryset


class ChildSiteInline(ReadOnlyInline):
    model = Site
    fk_name = "parent"
    fields = ["name", "area_mu", "deadline"]
    verbose_name = _("site inside this area")
    verbose_name_plural = _("sites inside this area")


class SiteEnterpriseInline(ReadOnlyInline):
    model = Enterprise
    fields = ["name", "disposal", "is_tenant", "energy_freed_tce", "current_stage"]
    ordering = ["name"]

    def get_queryset(self, request):
        return with_current_stage(super().get_queryset(request))

    @admin.display(description=_("current stage"))
    def current_stage(self, obj):
        return stage_label(getattr(obj, "current_stage", None))


class SiteForm(VersionedForm):
    class Meta:
        model = Site
        fields = "__all__"


@admin.register(Site)
class SiteAdmin(ClearanceAdmin):
    form = SiteForm
    list_display = ["name", "town", "parent", "area_mu", "deadline", "enterprise_count", "vacated_on"]
    list_select_related = ["town", "parent"]
    list_filter = ["town", SiteVacatedFilter, ("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name", "town__name", "parent__name"]
    autocomplete_fields = ["town", "parent"]
    date_hierarchy = "deadline"
    fields = [
        "name", "town", "parent", "area_mu", "land_use", "deadline", "ownership_notes", "notes",
        "vacated_on", "version", "expected_version",
    ]
    readonly_fields = ["vacated_on", "version"]
    inlines = [ChildSiteInline, SiteEnterpriseInline]

    def get_queryset(self, request):
        vacated = Event.objects.filter(site=OuterRef("pk")).values("occurred_on")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(enterprise_count=Count("enterprises"), vacated_on=Subquery(vacated))
        )

    @admin.display(description=_("enterprises"), ordering="enterprise_count")
    def enterprise_count(self, obj):
        return obj.enterprise_count

    @admin.display(description=_("vacated on"), ordering="vacated_on")
    def vacated_on(self, obj):
        return getattr(obj, "vacated_on", None) or "-"

    def service_save(self, request, obj, form, change):
        if change:
            return services.site_update(
                site=obj, expected_version=form.cleaned_data["expected_version"], user=request.user,
                **form_values(obj, form),
            )
        return services.site_create(user=request.user, **form_values(obj, form))

    def service_delete(self, request, obj):
        services.site_delete(site=obj, expected_version=obj.version, user=request.user)


class EnterpriseEventInline(ReadOnlyInline):
    model = Event
    fields = ["stage", "occurred_on", "recorded_by", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class EnterpriseForm(VersionedForm):
    class Meta:
        model = Enterprise
        fields = "__all__"


@admin.register(Enterprise)
class EnterpriseAdmin(ClearanceAdmin):
    form = EnterpriseForm
    # The total under a filter is still counted; the unfiltered total again on every page is not (a million rows).
    show_full_result_count = False
    # By town, then name: the order of the (town, name) unique index, so a page of 100 is read from the index;
    # the model's order (town's display order, site name) sorts every enterprise first (a second at a million).
    ordering = ["town_id", "name"]
    list_display = ["name", "town", "site", "disposal", "categories", "energy_freed_tce", "current_stage"]
    list_select_related = ["town", "site"]
    list_filter = [
        "town",
        CurrentStageFilter,
        "disposal",
        *(category.value for category in Category),
    ]
    search_fields = ["name", "credit_code", "site__name"]
    autocomplete_fields = ["town", "site"]
    fieldsets = [
        (None, {"fields": ["name", "credit_code", "town", "site", "expected_version"]}),
        (_("Categories"), {"fields": [category.value for category in Category]}),
        (_("Plan"), {"fields": ["disposal", "responsible_group", "plan_deadline", "plan_notes"]}),
        (_("Energy"), {"fields": ["annual_energy_tce", "energy_freed_tce"]}),
        (_("Progress"), {"fields": ["current_stage", "version"]}),
    ]
    readonly_fields = ["current_stage", "version"]
    inlines = [EnterpriseEventInline]

    def get_queryset(self, request):
        return with_current_stage(super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "responsible_group":
            # Group names repeat from town to town; the label says whose group it is.
            kwargs["queryset"] = AttackGroup.objects.select_related("task_force")
            kwargs["form_class"] = NaturalOrderModelChoiceField
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda group: f"{group.task_force} · {group}"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("categories"))
    def categories(self, obj):
        return "、".join(str(category.label) for category in obj.categories) or "-"

    @admin.display(description=_("current stage"), ordering="current_stage")
    def current_stage(self, obj):
        return stage_label(getattr(obj, "current_stage", None))

    def service_save(self, request, obj, form, change):
        if change:
            return services.enterprise_update(
                enterprise=obj, expected_version=form.cleaned_data["expected_version"], user=request.user,
                **form_values(obj, form),
            )
        # The town is the site's; enterprise_create refuses another (Enterprise.clean).
        return services.enterprise_create(user=request.user, **form_values(obj, form))

    def service_delete(self, request, obj):
        services.enterprise_delete(enterprise=obj, expected_version=obj.version, user=request.user)

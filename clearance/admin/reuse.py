"""Admin of 换鸟: projects with their land, their stage events and photos, through the services of the pages;
the monthly reuse rollup shown, never edited (derived from the events by the services)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..choices import ReuseMetric
from ..forms import validate_event_date
from ..services.reuse import PROJECT_FIELDS
from ..models import Project, ProjectEvent, ProjectPhoto, ProjectSite, ReuseMonthlyFigure
from .base import ClearanceAdmin, ServiceInline, ServiceModelForm, VersionedForm, form_values
from .events import PhotoAdmin, PhotoInline


def _current_version(project: Project) -> int:
    # Each write to a project's land bumps its version: an inline row reads the version the row before it left.
    return Project.objects.values_list("version", flat=True).get(pk=project.pk)


class ProjectSiteInline(ServiceInline):
    """The land a project takes from each site, set and given back by services.project_land_set and _remove."""

    model = ProjectSite
    fields = ["site", "area_mu"]
    autocomplete_fields = ["site"]

    def service_create(self, request, obj, form):
        return services.project_land_set(
            project=obj.project, site=obj.site, area_mu=obj.area_mu,
            expected_version=_current_version(obj.project), user=request.user,
        )

    def service_update(self, request, obj, form):
        return self.service_create(request, obj, form)

    def service_delete(self, request, obj):
        services.project_land_remove(
            allocation=obj, expected_version=_current_version(obj.project), user=request.user
        )


class ProjectForm(VersionedForm):
    class Meta:
        model = Project
        fields = "__all__"


@admin.register(Project)
class ProjectAdmin(ClearanceAdmin):
    form = ProjectForm
    list_display = ["name", "town", "kind", "investor", "land_mu", "committed_full_production_on"]
    list_select_related = ["town"]
    list_filter = ["town", "kind"]
    search_fields = ["name", "investor", "industry"]
    autocomplete_fields = ["town", "operator"]
    fields = [*PROJECT_FIELDS, "land_mu", "version", "expected_version"]
    readonly_fields = ["land_mu", "version"]
    inlines = [ProjectSiteInline]

    def service_save(self, request, obj, form, change):
        values = form_values(obj, form)
        if change:
            return services.project_update(
                project=obj, expected_version=form.cleaned_data["expected_version"], user=request.user, **values
            )
        return services.project_create(user=request.user, **values)

    def service_delete(self, request, obj):
        services.project_delete(project=obj, expected_version=obj.version, user=request.user)


class ProjectPhotoForm(ServiceModelForm):
    """A photo's upload is checked by the service's own check (services.photo_check), as on the pages."""

    class Meta:
        model = ProjectPhoto
        fields = ["event", "image", "phase", "caption"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if "image" in self.changed_data and not self.instance.pk:
            services.photo_check(image)
        return image


class ProjectPhotoInline(PhotoInline):
    """A project stage's photos: the clearance photos' inline on the other photo model (photo_add takes either event)."""

    model = ProjectPhoto
    form = ProjectPhotoForm


class ProjectEventForm(VersionedForm):
    """The event's input; services.project_event_record and project_event_correct (and the model) check it."""

    correction_note = forms.CharField(
        label=_("reason for the correction"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required where the event's month is closed (its figures published)."),
    )

    class Meta:
        model = ProjectEvent
        fields = ["project", "stage", "occurred_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "occurred_on" in self.fields:
            self.fields["occurred_on"].validators.append(validate_event_date)


@admin.register(ProjectEvent)
class ProjectEventAdmin(ClearanceAdmin):
    form = ProjectEventForm
    list_display = ["project", "town", "stage", "occurred_on", "recorded_by", "recorded_at"]
    list_display_links = ["project", "stage"]
    list_select_related = ["project__town", "recorded_by"]
    list_filter = ["project__town", "stage"]
    search_fields = ["project__name"]
    autocomplete_fields = ["project"]
    date_hierarchy = "occurred_on"
    inlines = [ProjectPhotoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project__town", "recorded_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["project", "stage", "occurred_on", "note", "expected_version"]
        return ["project", "stage", "occurred_on", "note", "correction_note", "recorded_by", "recorded_at", "version",
                "expected_version"]

    def get_readonly_fields(self, request, obj=None):
        # A wrong stage or project is deleted and recorded anew, so the stage rules are checked again.
        return ["project", "stage", "recorded_by", "recorded_at", "version"] if obj else []

    @admin.display(description=_("town"))
    def town(self, obj):
        return obj.project.town

    def service_save(self, request, obj, form, change):
        if change:
            return services.project_event_correct(
                event=obj, expected_version=form.cleaned_data["expected_version"], on=obj.occurred_on,
                note=obj.note, user=request.user, correction_note=form.cleaned_data.get("correction_note", ""),
            )
        return services.project_event_record(
            project=obj.project, stage=obj.stage, on=obj.occurred_on, user=request.user, note=obj.note,
        )

    def service_delete(self, request, obj):
        services.project_event_delete(event=obj, expected_version=obj.version, user=request.user)

    def deletion_order(self, queryset):
        # Later stages first, so a selection holding a whole chain can be deleted.
        return sorted(queryset, key=lambda event: -event.stage)


@admin.register(ProjectPhoto)
class ProjectPhotoAdmin(PhotoAdmin):
    """A project stage's photos: the clearance photos' admin on the other photo model, with the project to search by."""

    form = ProjectPhotoForm
    list_select_related = ["event__project", "uploaded_by"]
    search_fields = ["caption", "event__project__name"]


@admin.register(ReuseMonthlyFigure)
class ReuseMonthlyFigureAdmin(admin.ModelAdmin):
    """Derived from the projects' events by the services (derived.reuse_rollup): shown, never edited."""

    list_display = ["town", "year", "month", "projects", "investment", "land"]
    list_select_related = ["town"]
    list_filter = ["year", "town"]
    ordering = ["-year", "-month", "town__display_order"]
    # The figures under the metrics' names (the columns have no names of their own: derived, never edited).
    fields = ["town", "year", "month", "projects", "investment", "land"]
    readonly_fields = fields

    @admin.display(description=ReuseMetric.PROJECTS_SIGNED.label, ordering="projects_signed")
    def projects(self, obj):
        return obj.projects_signed

    @admin.display(description=ReuseMetric.INVESTMENT_SIGNED_WAN.label, ordering="investment_signed_wan")
    def investment(self, obj):
        return obj.investment_signed_wan

    @admin.display(description=ReuseMetric.LAND_REUSED_MU.label, ordering="land_reused_mu")
    def land(self, obj):
        return obj.land_reused_mu

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

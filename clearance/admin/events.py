"""Admin of the stage events and their photos, recorded, corrected and deleted by the services of the pages."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Event, Photo, Town
from ..forms import validate_event_date
from .base import ClearanceAdmin, ServiceInline, ServiceModelForm, VersionedForm


class EventTownFilter(admin.SimpleListFilter):
    """An event's town is its enterprise's or its site's."""

    title = _("town")
    parameter_name = "town"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Town.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        # ASCII digits only: "²".isdigit() is true, but no id.
        if self.value() and self.value().isascii() and self.value().isdigit():
            return queryset.filter(Q(enterprise__town=self.value()) | Q(site__town=self.value()))
        return queryset


class PhotoForm(ServiceModelForm):
    """A photo's upload is checked by the service's own check (services.photo_check), as on the pages."""

    class Meta:
        model = Photo
        fields = ["event", "image", "phase", "caption"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if "image" in self.changed_data and not self.instance.pk:
            services.photo_check(image)
        return image


def preview(photo: Photo) -> str:
    """Return the thumbnail of PHOTO as an <img>, or "-"."""
    image = photo.thumbnail or photo.image
    if not image:
        return "-"
    return format_html('<img src="{}" alt="" style="max-height: 4em">', image.url)


def photo_changes(form) -> dict:
    """Return what the photo FORM changes, for services.photo_update (an image given is refused there)."""
    changes = {name: form.cleaned_data[name] for name in ("phase", "caption") if name in form.cleaned_data}
    if "image" in form.changed_data:
        changes["upload"] = form.cleaned_data.get("image")
    return changes


class PhotoInline(ServiceInline):
    model = Photo
    form = PhotoForm
    fields = ["image", "phase", "caption", "preview"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return preview(obj)

    def service_create(self, request, obj, form):
        # photo_add stores the upload under a random name and makes its thumbnail.
        return services.photo_add(
            event=obj.event, upload=form.cleaned_data["image"], phase=obj.phase, caption=obj.caption,
            user=request.user,
        )

    def service_update(self, request, obj, form):
        return services.photo_update(photo=obj, user=request.user, **photo_changes(form))

    def service_delete(self, request, obj):
        services.photo_delete(photo=obj, user=request.user)


class EventForm(VersionedForm):
    """The event's input; services.event_record and event_correct (and Event.clean) check it."""

    correction_note = forms.CharField(
        label=_("reason for the correction"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required where the event's month is closed (its figures published)."),
    )

    class Meta:
        model = Event
        fields = ["enterprise", "site", "stage", "occurred_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # As on the pages and in the ledger: an event before 2000 is a typing slip.
        if "occurred_on" in self.fields:
            self.fields["occurred_on"].validators.append(validate_event_date)


@admin.register(Event)
class EventAdmin(ClearanceAdmin):
    form = EventForm
    list_display = ["subject", "town", "stage", "occurred_on", "recorded_by", "recorded_at"]
    list_display_links = ["subject", "stage"]
    list_filter = [EventTownFilter, "stage"]
    search_fields = ["enterprise__name", "enterprise__credit_code", "site__name"]
    autocomplete_fields = ["enterprise", "site"]
    date_hierarchy = "occurred_on"
    inlines = [PhotoInline]

    def get_queryset(self, request):
        # str() and town name the enterprise or the site, in the list and in autocomplete answers.
        return super().get_queryset(request).select_related("enterprise__town", "site__town", "recorded_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["enterprise", "site", "stage", "occurred_on", "note", "expected_version"]
        return [
            "enterprise", "site", "stage", "occurred_on", "note", "correction_note", "recorded_by", "recorded_at",
            "version", "expected_version",
        ]

    def get_readonly_fields(self, request, obj=None):
        # A wrong stage or subject is deleted and recorded anew, so the stage rules are checked again.
        return ["enterprise", "site", "stage", "recorded_by", "recorded_at", "version"] if obj else []

    @admin.display(description=_("enterprise or site"))
    def subject(self, obj):
        return obj.enterprise or obj.site

    @admin.display(description=_("town"))
    def town(self, obj):
        return obj.town

    def service_save(self, request, obj, form, change):
        if change:
            return services.event_correct(
                event=obj, expected_version=form.cleaned_data["expected_version"], on=obj.occurred_on,
                note=obj.note, user=request.user, correction_note=form.cleaned_data.get("correction_note", ""),
            )
        return services.event_record(
            stage=obj.stage, on=obj.occurred_on, user=request.user, enterprise=obj.enterprise, site=obj.site,
            note=obj.note,
        )

    def service_delete(self, request, obj):
        services.event_delete(event=obj, expected_version=obj.version, user=request.user)

    def deletion_order(self, queryset):
        # A site's vacated event and later stages go first, so a selection
        # holding a whole chain can be deleted; one refusal undoes them all.
        return sorted(queryset, key=lambda event: (event.site_id is None, -event.stage))


@admin.register(Photo)
class PhotoAdmin(ClearanceAdmin):
    form = PhotoForm
    list_display = ["__str__", "event", "phase", "uploaded_by", "uploaded_at", "preview"]
    list_select_related = ["event__enterprise", "event__site", "uploaded_by"]
    list_filter = ["phase"]
    search_fields = ["caption", "event__enterprise__name", "event__site__name"]
    autocomplete_fields = ["event"]
    date_hierarchy = "uploaded_at"
    fields = ["event", "image", "phase", "caption", "preview", "uploaded_by", "uploaded_at"]

    def get_readonly_fields(self, request, obj=None):
        read_only = ["preview", "uploaded_by", "uploaded_at"]
        return ["event", "image", *read_only] if obj else read_only

    def service_save(self, request, obj, form, change):
        if change:
            return services.photo_update(photo=obj, user=request.user, **photo_changes(form))
        return services.photo_add(
            event=obj.event, upload=form.cleaned_data["image"], phase=obj.phase, caption=obj.caption,
            user=request.user,
        )

    def service_delete(self, request, obj):
        services.photo_delete(photo=obj, user=request.user)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return preview(obj)

"""Admin of the register of order (快中求稳): items recorded, edited and deleted by the services of the pages."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..forms import NaturalOrderModelChoiceField
from ..models import AttackGroup, RegisterItem
from ..services.register import EDITABLE
from .base import ClearanceAdmin, VersionedForm


class RegisterItemForm(VersionedForm):
    """The item's input; services.register_item_create and register_item_update (and RegisterItem.clean) check it."""

    note = forms.CharField(
        label=_("reason for a late change"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required where a date lies in a closed month (its figures published)."),
    )

    class Meta:
        model = RegisterItem
        fields = ["site", "enterprise", "kind", "raised_on", "description", "responsible_group", "resolved_on",
                  "resolution"]


@admin.register(RegisterItem)
class RegisterItemAdmin(ClearanceAdmin):
    form = RegisterItemForm
    list_display = ["raised_on", "kind", "subject", "town", "responsible_group", "resolved_on"]
    list_display_links = ["raised_on", "kind"]
    list_select_related = ["town", "site", "enterprise", "responsible_group"]
    list_filter = ["town", "kind", ("resolved_on", admin.EmptyFieldListFilter)]
    search_fields = ["description", "site__name", "enterprise__name"]
    autocomplete_fields = ["site", "enterprise"]
    date_hierarchy = "raised_on"

    def get_fields(self, request, obj=None):
        fields = ["site", "enterprise", "kind", "raised_on", "description", "responsible_group", "resolved_on",
                  "resolution", "note"]
        if obj is None:
            return [*fields, "expected_version"]
        return ["town", *fields, "recorded_by", "version", "expected_version"]

    def get_readonly_fields(self, request, obj=None):
        # The subject stays (an item on the wrong one is raised anew); the town is the subject's.
        return ["town", "site", "enterprise", "recorded_by", "version"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "responsible_group":
            # As on the enterprise's admin: group names repeat from town to town; the label says whose group it is.
            kwargs["queryset"] = AttackGroup.objects.select_related("task_force")
            kwargs["form_class"] = NaturalOrderModelChoiceField
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda group: f"{group.task_force} · {group}"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("site or enterprise"))
    def subject(self, obj):
        return obj.subject

    def service_save(self, request, obj, form, change):
        note = form.cleaned_data.get("note", "")
        values = {name: getattr(obj, name) for name in EDITABLE}
        if change:
            return services.register_item_update(
                item=obj, expected_version=form.cleaned_data["expected_version"], user=request.user, note=note, **values
            )
        return services.register_item_create(
            site=obj.site, enterprise=obj.enterprise, user=request.user, note=note, **values
        )

    def service_delete(self, request, obj):
        services.register_item_delete(item=obj, expected_version=obj.version, user=request.user)

"""What the pages that write share: a service's refusal shown on the form, the conflict page, who may write where."""

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import Form
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from .. import permissions
from ..formatting import display_value
from ..models import Enterprise, Event, Site, Town


def apply_service_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on FORM: on the field it names when the form has it, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.error_list)


def conflict_response(request, *, record: Model, theirs: Model, yours: dict, fields, retry_url: str, back_url: str):
    """Render the conflict page (409): the version in the database beside the one submitted; nothing was saved."""
    rows = []
    for name in fields:
        model_field = type(theirs)._meta.get_field(name)
        their_text = display_value(getattr(theirs, name), model_field)
        your_text = display_value(yours.get(name), model_field)
        rows.append({"label": model_field.verbose_name, "theirs": their_text, "yours": your_text,
                     "differs": their_text != your_text})
    last = theirs.history.select_related("history_user").order_by("-history_date").first()
    context = {
        "record": record,
        "rows": rows,
        "retry_url": retry_url,
        "back_url": back_url,
        "their_user": last.history_user if last else None,
        "their_date": last.history_date if last else None,
        "their_version": theirs.version,
    }
    return TemplateResponse(request, "clearance/conflict.html", context, status=409)


class WritableMixin:
    """Give templates `can_write`: whether the user may record for the town of the page."""

    def can_write(self, town: Town) -> bool:
        if not hasattr(self, "_can_write"):
            self._can_write = permissions.can_write_town(self.request.user, town)
        return self._can_write


class SiteWriteMixin(permissions.TownWriteRequiredMixin):
    """Writes to a site: the site of the URL, and its town for the permission check."""

    def get_permission_town(self) -> Town:
        self.site = get_object_or_404(Site.objects.select_related("town"), pk=self.kwargs["pk"])
        return self.site.town


class EnterpriseWriteMixin(permissions.TownWriteRequiredMixin):
    """Writes to an enterprise: the enterprise of the URL, and its town for the permission check."""

    def get_permission_town(self) -> Town:
        self.enterprise = get_object_or_404(Enterprise.objects.select_related("town", "site"), pk=self.kwargs["pk"])
        return self.enterprise.town


class EventWriteMixin(permissions.TownWriteRequiredMixin):
    """Writes to an event: the event of the URL, and its subject's town for the permission check."""

    def get_permission_town(self) -> Town:
        self.event = get_object_or_404(
            Event.objects.select_related("enterprise__town", "enterprise__site", "site__town"), pk=self.kwargs["pk"]
        )
        return self.event.town

"""Recording progress: a stage with photos, several enterprises at once, corrections and deletions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import FormView

from .. import selectors, services
from ..choices import Stage
from ..forms import (
    EventDeleteForm,
    EventEditForm,
    EventRecordForm,
    EventsBulkForm,
    stage_rules,
)
from ..models import Enterprise, Event, Site
from .writing import (
    EnterpriseWriteMixin,
    EventWriteMixin,
    SiteWriteMixin,
    apply_service_errors,
    conflict_response,
)


def _recorded_message(event: Event) -> str:
    return _("%(stage)s of %(subject)s recorded on %(date)s.") % {
        "stage": event.get_stage_display(),
        "subject": event.enterprise or event.site,
        "date": date_format(event.occurred_on),
    }


class _RecordStageMixin:
    """Record a stage with photos through the service, then go back to the subject's timeline."""

    form_class = EventRecordForm
    template_name = "clearance/event_form.html"

    def subject(self) -> Site | Enterprise:
        raise NotImplementedError

    def recorded_on(self, form) -> dict:
        """Return the enterprise= or site= the form's event is recorded on."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        subject = self.subject()
        return super().get_context_data(
            subject=subject, back_url=subject.get_absolute_url(), stage_rules=stage_rules(), **kwargs
        )

    def form_valid(self, form):
        try:
            event = services.event_record(
                stage=Stage(form.cleaned_data["stage"]),
                on=form.cleaned_data["occurred_on"],
                user=self.request.user,
                note=form.cleaned_data["note"],
                photos=form.cleaned_data["photos"],
                phase=form.cleaned_data["phase"],
                **self.recorded_on(form),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _recorded_message(event))
        return HttpResponseRedirect(self.subject().get_absolute_url() + "#timeline")


class SiteEventCreateView(SiteWriteMixin, _RecordStageMixin, FormView):
    """Record a stage for the site (腾退) or one of its enterprises, with photos."""

    def subject(self) -> Site:
        return self.site

    def recorded_on(self, form) -> dict:
        return form.subject_kwargs()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(site=self.site, enterprises=Enterprise.objects.filter(site=self.site).order_by("name"))
        if "enterprise" in self.request.GET:
            kwargs["initial"] = {"subject": self.request.GET["enterprise"]}
        return kwargs


class EnterpriseEventCreateView(EnterpriseWriteMixin, _RecordStageMixin, FormView):
    """Record a stage of one enterprise, with photos."""

    def subject(self) -> Enterprise:
        return self.enterprise

    def recorded_on(self, form) -> dict:
        return {"enterprise": self.enterprise}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enterprise": self.enterprise}


class SiteEventsBulkView(SiteWriteMixin, FormView):
    """One stage and date for several enterprises of the site, all or nothing."""

    form_class = EventsBulkForm
    template_name = "clearance/event_bulk_form.html"

    def get_form_kwargs(self):
        self.enterprises = list(selectors.with_enterprise_stage(Enterprise.objects.filter(site=self.site)).order_by("name"))
        return {**super().get_form_kwargs(), "enterprises": self.enterprises}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.get_form())
        return super().get_context_data(
            site=self.site, enterprises=self.enterprises, back_url=self.site.get_absolute_url(),
            stage_rules=stage_rules(), **kwargs,
        )

    def form_valid(self, form):
        chosen = form.chosen()
        try:
            services.events_record_bulk(
                site=self.site,
                enterprises=chosen,
                stage=Stage(form.cleaned_data["stage"]),
                on=form.cleaned_data["occurred_on"],
                user=self.request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(stage)s recorded on %(date)s for %(count)s enterprises.")
            % {
                "stage": Stage(form.cleaned_data["stage"]).label,
                "date": date_format(form.cleaned_data["occurred_on"]),
                "count": len(chosen),
            },
        )
        return HttpResponseRedirect(self.site.get_absolute_url() + "#timeline")


def _event_page(event: Event) -> str:
    return (event.enterprise or event.site).get_absolute_url()


def _closed_month_of(event: Event) -> str | None:
    """Return the label of EVENT's month when it is closed (a late change needs a note), else None."""
    on = event.occurred_on
    return selectors.month_label(on.year, on.month) if selectors.closed_months([on]) else None


class EventUpdateView(EventWriteMixin, FormView):
    """Correct an event's date or note, or add photos; the old values stay in the history."""

    form_class = EventEditForm
    template_name = "clearance/event_edit.html"

    def get_initial(self):
        return {"version": self.event.version, "occurred_on": self.event.occurred_on, "note": self.event.note}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "closed_month": _closed_month_of(self.event)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, back_url=_event_page(self.event), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            event = services.event_correct(
                event=self.event, expected_version=data["version"], user=self.request.user,
                on=data["occurred_on"], note=data["note"], photos=data["photos"], phase=data["phase"],
                correction_note=data["correction_note"],
            )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.event, theirs=stale.current,
                yours={"occurred_on": data["occurred_on"], "note": data["note"]},
                fields=["occurred_on", "note"], retry_url=self.request.path, back_url=_event_page(self.event),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was corrected: %(event)s.") % {"event": event})
        return HttpResponseRedirect(_event_page(event) + "#timeline")


class EventDeleteView(EventWriteMixin, FormView):
    """Delete an event after confirmation, unless a later stage depends on it; the deletion stays in the history."""

    form_class = EventDeleteForm
    template_name = "clearance/event_confirm_delete.html"

    def get_initial(self):
        return {"version": self.event.version}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "closed_month": _closed_month_of(self.event)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, back_url=_event_page(self.event), **kwargs)

    def form_valid(self, form):
        page = _event_page(self.event)
        try:
            services.event_delete(
                event=self.event, expected_version=form.cleaned_data["version"], user=self.request.user,
                note=form.cleaned_data["note"],
            )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.event, theirs=stale.current,
                yours={"occurred_on": self.event.occurred_on, "note": self.event.note},
                fields=["occurred_on", "note"], retry_url=self.request.path, back_url=page,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was deleted: %(event)s.") % {"event": self.event})
        return HttpResponseRedirect(page + "#timeline")

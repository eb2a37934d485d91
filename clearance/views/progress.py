"""Pages where progress on sites and enterprises is read and recorded, and the officials' "my towns" workspace."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export.views import ExportMixin

from .. import permissions, selectors, services
from ..choices import Stage
from ..filters import EnterpriseFilter, SiteFilter
from ..formatting import display_value
from ..forms import (
    EnterpriseForm,
    EventDeleteForm,
    EventEditForm,
    EventRecordForm,
    EventsBulkForm,
    SiteForm,
    stage_rule,
    stage_rules,
)
from ..models import Enterprise, Event, Site, Town
from ..tables import EnterpriseTable, SiteTable

TIMELINE_LENGTH = 50


def _apply_errors(form: Form, error: ValidationError) -> None:
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


# Pages ---------------------------------------------------------------------------


class SiteDetailView(WritableMixin, DetailView):
    """The site: area, parcels, enterprises, progress, timeline, photos, history; the stage form for its town."""

    model = Site
    template_name = "clearance/site_detail.html"

    def get_queryset(self) -> QuerySet[Site]:
        return selectors.site_page_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        enterprises = list(site.enterprises.all())
        show_all = self.request.GET.get("events") == "all"
        subtree = selectors.site_subtree(site=site)
        timeline = selectors.site_timeline(subtree=subtree, limit=None if show_all else TIMELINE_LENGTH + 1)
        can_write = self.can_write(site.town)
        context.update(
            enterprises=enterprises,
            children=list(site.children.all()),
            can_write=can_write,
            timeline=timeline[:TIMELINE_LENGTH] if not show_all else timeline,
            timeline_truncated=not show_all and len(timeline) > TIMELINE_LENGTH,
            photo_groups=selectors.photos_by_phase(selectors.site_photos(subtree=subtree)),
            history=selectors.site_history(site=site),
            stage_rules=stage_rules(),
            today=timezone.localdate(),
        )
        if can_write:
            context["record_form"] = EventRecordForm(site=site, enterprises=enterprises)
            context["bulk_form"] = EventsBulkForm(enterprises=enterprises)
        return context


class EnterpriseDetailView(WritableMixin, DetailView):
    """The enterprise and its plan (一企一策), timeline, photos and history; the stage form for its town."""

    model = Enterprise
    template_name = "clearance/enterprise_detail.html"

    def get_queryset(self) -> QuerySet[Enterprise]:
        return selectors.enterprise_page_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enterprise = self.object
        events = list(enterprise.events.all())
        can_write = self.can_write(enterprise.town)
        context.update(
            events=events,
            timeline=sorted(events, key=lambda event: (event.occurred_on, event.stage), reverse=True),
            can_write=can_write,
            photo_groups=selectors.photos_by_phase(photo for event in events for photo in event.photos.all()),
            history=selectors.enterprise_history(enterprise=enterprise),
            stage_rules=stage_rules(),
            record_rule=stage_rule(enterprise.disposal),
        )
        if can_write:
            context["record_form"] = EventRecordForm(enterprise=enterprise)
        return context


# Recording progress ----------------------------------------------------------------


class _SiteWriteMixin(permissions.TownWriteRequiredMixin):
    def get_permission_town(self) -> Town:
        self.site = get_object_or_404(Site.objects.select_related("town"), pk=self.kwargs["pk"])
        return self.site.town


class _EnterpriseWriteMixin(permissions.TownWriteRequiredMixin):
    def get_permission_town(self) -> Town:
        self.enterprise = get_object_or_404(Enterprise.objects.select_related("town", "site"), pk=self.kwargs["pk"])
        return self.enterprise.town


class _EventWriteMixin(permissions.TownWriteRequiredMixin):
    def get_permission_town(self) -> Town:
        self.event = get_object_or_404(
            Event.objects.select_related("enterprise__town", "enterprise__site", "site__town"), pk=self.kwargs["pk"]
        )
        return self.event.town


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
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _recorded_message(event))
        return HttpResponseRedirect(self.subject().get_absolute_url() + "#timeline")


class SiteEventCreateView(_SiteWriteMixin, _RecordStageMixin, FormView):
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


class EnterpriseEventCreateView(_EnterpriseWriteMixin, _RecordStageMixin, FormView):
    """Record a stage of one enterprise, with photos."""

    def subject(self) -> Enterprise:
        return self.enterprise

    def recorded_on(self, form) -> dict:
        return {"enterprise": self.enterprise}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enterprise": self.enterprise}


class SiteEventsBulkView(_SiteWriteMixin, FormView):
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
            _apply_errors(form, error)
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


class EventUpdateView(_EventWriteMixin, FormView):
    """Correct an event's date or note, or add photos; the old values stay in the history."""

    form_class = EventEditForm
    template_name = "clearance/event_edit.html"

    def get_initial(self):
        return {"version": self.event.version, "occurred_on": self.event.occurred_on, "note": self.event.note}

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, back_url=_event_page(self.event), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            event = services.event_correct(
                event=self.event, expected_version=data["version"], user=self.request.user,
                on=data["occurred_on"], note=data["note"], photos=data["photos"], phase=data["phase"],
            )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.event, theirs=stale.current,
                yours={"occurred_on": data["occurred_on"], "note": data["note"]},
                fields=["occurred_on", "note"], retry_url=self.request.path, back_url=_event_page(self.event),
            )
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was corrected: %(event)s.") % {"event": event})
        return HttpResponseRedirect(_event_page(event) + "#timeline")


class EventDeleteView(_EventWriteMixin, FormView):
    """Delete an event after confirmation, unless a later stage depends on it; the deletion stays in the history."""

    form_class = EventDeleteForm
    template_name = "clearance/event_confirm_delete.html"

    def get_initial(self):
        return {"version": self.event.version}

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, back_url=_event_page(self.event), **kwargs)

    def form_valid(self, form):
        page = _event_page(self.event)
        try:
            services.event_delete(event=self.event, expected_version=form.cleaned_data["version"], user=self.request.user)
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.event, theirs=stale.current,
                yours={"occurred_on": self.event.occurred_on, "note": self.event.note},
                fields=["occurred_on", "note"], retry_url=self.request.path, back_url=page,
            )
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was deleted: %(event)s.") % {"event": self.event})
        return HttpResponseRedirect(page + "#timeline")


# Sites and enterprises -----------------------------------------------------------


class SiteCreateView(permissions.TownWriteRequiredMixin, FormView):
    """Add a site to a town, optionally inside an area (?parent=<id>)."""

    form_class = SiteForm
    template_name = "clearance/site_form.html"

    def get_permission_town(self) -> Town:
        self.town = get_object_or_404(Town, pk=self.kwargs["town_pk"])
        return self.town

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "town": self.town}
        parent = self.request.GET.get("parent", "")
        # ASCII digits only: "²".isdigit() is true, but int() refuses it.
        if self.request.method == "GET" and parent.isascii() and parent.isdigit():
            kwargs["initial"] = {"parent": int(parent)}
        return kwargs

    def get_context_data(self, **kwargs):
        back = reverse("clearance:workspace_sites", args=[self.town.pk])
        return super().get_context_data(town=self.town, back_url=back, **kwargs)

    def form_valid(self, form):
        try:
            site = services.site_create(town=self.town, user=self.request.user, **form.changed_fields())
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The site %(name)s was added.") % {"name": site.name})
        return HttpResponseRedirect(site.get_absolute_url())


class SiteUpdateView(_SiteWriteMixin, FormView):
    """Edit a site on a page that carries the version it was loaded at."""

    form_class = SiteForm
    template_name = "clearance/site_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.site.town, "instance": self.site}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            town=self.site.town, site=self.site, back_url=self.site.get_absolute_url(), **kwargs
        )

    def form_valid(self, form):
        fields = form.changed_fields()
        try:
            site = services.site_update(
                site=self.site, expected_version=form.cleaned_data["version"], user=self.request.user, **fields
            )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.site, theirs=stale.current, yours=fields, fields=list(fields),
                retry_url=self.request.path, back_url=self.site.get_absolute_url(),
            )
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The site %(name)s was saved.") % {"name": site.name})
        return HttpResponseRedirect(site.get_absolute_url())


class EnterpriseCreateView(_SiteWriteMixin, FormView):
    """Add an enterprise to a site."""

    form_class = EnterpriseForm
    template_name = "clearance/enterprise_form.html"

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "town": self.site.town}
        kwargs["initial"] = {"site": self.site.pk}
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            town=self.site.town, site=self.site, back_url=self.site.get_absolute_url(), **kwargs
        )

    def form_valid(self, form):
        fields = form.changed_fields()
        site = fields.pop("site")
        try:
            enterprise = services.enterprise_create(site=site, user=self.request.user, **fields)
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The enterprise %(name)s was added.") % {"name": enterprise.name})
        return HttpResponseRedirect(enterprise.get_absolute_url())


class EnterpriseUpdateView(_EnterpriseWriteMixin, FormView):
    """Edit an enterprise and its plan (一企一策) on a page that carries the version it was loaded at."""

    form_class = EnterpriseForm
    template_name = "clearance/enterprise_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.enterprise.town, "instance": self.enterprise}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            town=self.enterprise.town, enterprise=self.enterprise, back_url=self.enterprise.get_absolute_url(),
            **kwargs,
        )

    def form_valid(self, form):
        fields = form.changed_fields()
        try:
            enterprise = services.enterprise_update(
                enterprise=self.enterprise, expected_version=form.cleaned_data["version"], user=self.request.user,
                **fields,
            )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.enterprise, theirs=stale.current, yours=fields, fields=list(fields),
                retry_url=self.request.path, back_url=self.enterprise.get_absolute_url(),
            )
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The enterprise %(name)s was saved.") % {"name": enterprise.name})
        return HttpResponseRedirect(enterprise.get_absolute_url())


# The "my towns" workspace ----------------------------------------------------------


class WorkspaceView(TemplateView):
    """The towns a user works on: an official's own towns; every town for leaders (reading) and admins."""

    template_name = "clearance/workspace.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        writable = permissions.writable_town_ids(user)
        role = permissions.user_role(user)
        towns = Town.objects.all() if role != permissions.ROLE_OFFICIAL else Town.objects.filter(pk__in=writable)
        return super().get_context_data(towns=list(towns), writable=writable, role=role, **kwargs)


class _WorkspaceTableView(WritableMixin, ExportMixin, SingleTableMixin, FilterView):
    """One table of a town's records, filtered, sorted, paginated and exportable to xlsx and CSV as filtered."""

    template_name = "clearance/workspace_table.html"
    table_pagination = {"per_page": 25}
    export_formats = ("xlsx", "csv")
    tab = ""

    def get(self, request, *args, **kwargs):
        self.town = get_object_or_404(Town, pk=kwargs["town_pk"])
        return super().get(request, *args, **kwargs)

    def get_export_filename(self, export_format):
        return f"{self.tab}-town{self.town.pk}-{timezone.localdate():%Y%m%d}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("_export", None)
        context.update(
            town=self.town,
            tab=self.tab,
            can_write=self.can_write(self.town),
            export_urls=[(fmt.upper(), f"?{query.urlencode()}&_export={fmt}".replace("?&", "?"))
                         for fmt in self.export_formats],
        )
        return context


class WorkspaceSitesView(_WorkspaceTableView):
    table_class = SiteTable
    filterset_class = SiteFilter
    tab = "sites"

    def get_queryset(self) -> QuerySet[Site]:
        return selectors.workspace_sites(town=self.town)


class WorkspaceEnterprisesView(_WorkspaceTableView):
    table_class = EnterpriseTable
    filterset_class = EnterpriseFilter
    tab = "enterprises"

    def get_queryset(self) -> QuerySet[Enterprise]:
        return selectors.workspace_enterprises(town=self.town)


"""A project's land and stages written from its page: a site taken or given back, a stage recorded, corrected, deleted."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import FormView, View

from .. import permissions, selectors, services
from ..choices import ProjectStage
from ..forms import EventDeleteForm, EventEditForm
from ..models import ProjectEvent, ProjectSite, Town
from ..reuse_forms import ProjectEventForm, ProjectLandForm, ProjectLandRemoveForm, stage_order_text
from ..selectors import projects as project_selectors
from .projects import SEARCH, SITE, ProjectWriteMixin, digits, land_picker
from .writing import apply_service_errors, conflict_response


class ProjectLandView(ProjectWriteMixin, FormView):
    """Let the project take land of a leaf site of its town, or change the area it takes there."""

    form_class = ProjectLandForm
    template_name = "clearance/projects/land_form.html"

    def get_initial(self):
        return {"version": self.project.version, "site": digits(self.request.GET.get(SITE, ""))}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.project.town}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(project=self.project, back_url=self.project.get_absolute_url(), **kwargs)
        form = context["form"]
        # Without scripts the search is a GET of this page (?q=); a form sent back shows the site it chose.
        chosen = form.chosen_site() if form.is_bound else form.initial.get("site")
        text = "" if form.is_bound else self.request.GET.get(SEARCH, "")
        context.update(land_picker(self.project, text=text, chosen=chosen))
        return context

    def form_valid(self, form):
        site = form.chosen_site()
        try:
            allocation = services.project_land_set(
                project=self.project, site=site, area_mu=form.cleaned_data["area_mu"],
                expected_version=form.cleaned_data["version"], user=self.request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(project)s takes %(area)s mu of %(site)s.") % {
            "project": self.project.name, "area": allocation.area_mu, "site": site.name,
        })
        return HttpResponseRedirect(self.project.get_absolute_url() + "#land")


class ProjectLandSitesView(ProjectWriteMixin, View):
    """The sites of the project's town whose name contains ?q=, for the land form's picker (htmx swaps them in).

    A request without htmx (a link followed, a page without scripts) goes to the land page showing the same search.
    """

    def get(self, request, *args, **kwargs):
        text = request.GET.get(SEARCH, "")
        chosen = digits(request.GET.get(SITE, ""))
        if not request.headers.get("HX-Request"):
            query = {SEARCH: project_selectors.land_search_text(text), **({SITE: chosen} if chosen else {})}
            return HttpResponseRedirect(reverse("clearance:project_land", args=[self.project.pk]) + f"?{urlencode(query)}")
        context = {"project": self.project, **land_picker(self.project, text=text, chosen=chosen)}
        return render(request, "clearance/projects/_land_sites.html", context)


class ProjectLandRemoveView(permissions.TownWriteRequiredMixin, FormView):
    """Give back the land a project takes from one site, after confirmation."""

    form_class = ProjectLandRemoveForm
    template_name = "clearance/projects/land_remove.html"

    def get_permission_town(self) -> Town:
        self.allocation = get_object_or_404(
            ProjectSite.objects.select_related("project__town", "site"), pk=self.kwargs["pk"]
        )
        self.project = self.allocation.project
        return self.project.town

    def get_initial(self):
        return {"version": self.project.version}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            allocation=self.allocation, project=self.project, back_url=self.project.get_absolute_url(), **kwargs
        )

    def form_valid(self, form):
        try:
            services.project_land_remove(
                allocation=self.allocation, expected_version=form.cleaned_data["version"], user=self.request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(project)s no longer takes land of %(site)s.") % {
            "project": self.project.name, "site": self.allocation.site.name,
        })
        return HttpResponseRedirect(self.project.get_absolute_url() + "#land")


class ProjectEventCreateView(ProjectWriteMixin, FormView):
    """Record a stage of the project, with photos (the page of the record modal, for a phone without scripts)."""

    form_class = ProjectEventForm
    template_name = "clearance/projects/event_form.html"

    def get_form_kwargs(self):
        recorded = self.project.events.values_list("stage", flat=True)
        next_stage = project_selectors.next_project_stage(self.project, recorded)
        return {**super().get_form_kwargs(), "project": self.project, "next_stage": next_stage}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subject=self.project, back_url=self.project.get_absolute_url(),
            stage_rules=[stage_order_text(self.project)], **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            event = services.project_event_record(
                project=self.project, stage=ProjectStage(data["stage"]), on=data["occurred_on"],
                user=self.request.user, note=data["note"], photos=data["photos"], phase=data["phase"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(stage)s of %(subject)s recorded on %(date)s.") % {
            "stage": event.get_stage_display(), "subject": self.project.name, "date": date_format(event.occurred_on),
        })
        return HttpResponseRedirect(self.project.get_absolute_url() + "#timeline")


class ProjectEventWriteMixin(permissions.TownWriteRequiredMixin):
    """Writes to a project's event: the event of the URL, and its project's town for the permission check."""

    def get_permission_town(self) -> Town:
        self.event = get_object_or_404(ProjectEvent.objects.select_related("project__town"), pk=self.kwargs["pk"])
        return self.event.project.town

    def closed_month(self) -> str | None:
        """The label of the event's month when it is closed (a late change needs a note), else None."""
        on = self.event.occurred_on
        return selectors.month_label(on.year, on.month) if selectors.closed_months([on]) else None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "closed_month": self.closed_month()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            event=self.event, subject=self.event.project, back_url=self.event.project.get_absolute_url(), **kwargs
        )

    def conflict(self, stale):
        back = self.event.project.get_absolute_url()
        return conflict_response(
            self.request, record=self.event, theirs=stale.current,
            yours={"occurred_on": self.event.occurred_on, "note": self.event.note}, fields=["occurred_on", "note"],
            retry_url=self.request.path, back_url=back,
        )


class ProjectEventUpdateView(ProjectEventWriteMixin, FormView):
    """Correct a project event's date or note, or add photos; the old values stay in the history."""

    form_class = EventEditForm
    template_name = "clearance/projects/event_edit.html"

    def get_initial(self):
        return {"version": self.event.version, "occurred_on": self.event.occurred_on, "note": self.event.note}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            event = services.project_event_correct(
                event=self.event, expected_version=data["version"], user=self.request.user, on=data["occurred_on"],
                note=data["note"], photos=data["photos"], phase=data["phase"], correction_note=data["correction_note"],
            )
        except services.StaleEditError as stale:
            return self.conflict(stale)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was corrected: %(event)s.") % {"event": event})
        return HttpResponseRedirect(event.project.get_absolute_url() + "#timeline")


class ProjectEventDeleteView(ProjectEventWriteMixin, FormView):
    """Delete a project's event after confirmation, unless a later stage needs it; kept in the history."""

    form_class = EventDeleteForm
    template_name = "clearance/projects/event_delete.html"

    def get_initial(self):
        return {"version": self.event.version}

    def form_valid(self, form):
        try:
            services.project_event_delete(
                event=self.event, expected_version=form.cleaned_data["version"], user=self.request.user,
                note=form.cleaned_data["note"],
            )
        except services.StaleEditError as stale:
            return self.conflict(stale)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was deleted: %(event)s.") % {"event": self.event})
        return HttpResponseRedirect(self.event.project.get_absolute_url() + "#timeline")

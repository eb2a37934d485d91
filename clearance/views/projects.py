"""The projects on vacated land (换鸟): the list, a project's page, and the forms that create, edit and delete one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .. import permissions, selectors, services
from ..filters import ProjectFilter
from ..models import Project, Site, Town
from ..reuse_forms import (
    ProjectDeleteForm,
    ProjectEventForm,
    ProjectForm,
    ProjectLandForm,
    land_label,
    stage_order_text,
)
from ..selectors import projects as project_selectors
from ..tables import ProjectTable
from .evaluation import export_links
from .tables import TableQueryMixin
from .writing import WritableMixin, apply_service_errors, conflict_response

SITE = "site"
# The land picker's search text (a part of a site's name).
SEARCH = "q"


def digits(text: str) -> int | None:
    """Return TEXT as a whole number when it is ASCII digits (an id), else None."""
    # ASCII digits only: "²".isdigit() is true, but int() refuses it.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def land_picker(project: Project, *, text: str = "", chosen=None) -> dict:
    """The context of the land form's site picker (clearance/projects/_land_sites.html), in one or two queries.

    TEXT: what the user searched; CHOSEN: the site chosen already (a Site with its free land, or an id from the URL,
    shown checked when it is a leaf site of the project's town).
    """
    town = project.town
    if chosen is not None and not isinstance(chosen, Site):
        chosen = project_selectors.land_site(town=town, pk=chosen)
    matches = project_selectors.land_matches(town=town, text=text, exclude=chosen.pk if chosen else None)
    options = [(site, site is chosen) for site in ([chosen] if chosen else []) + matches.sites]
    return {
        "land_options": [(site.pk, land_label(site), checked) for site, checked in options],
        # Sent again with each search, so that the site chosen stays checked (a leaf of the town, or none).
        "land_chosen": chosen.pk if chosen else None,
        "land_search": matches,
        "land_search_length": project_selectors.LAND_SEARCH_LENGTH,
    }


class ProjectListView(TableQueryMixin, SingleTableMixin, FilterView):
    """Every project of the city, filtered, sorted, paginated and exportable, for everyone signed in."""

    template_name = "clearance/projects/list.html"
    table_class = ProjectTable
    filterset_class = ProjectFilter
    table_pagination = {"per_page": 50}

    def get_queryset(self) -> QuerySet[Project]:
        return project_selectors.project_list()

    def get_export_filename(self, export_format):
        return f"projects-{timezone.localdate():%Y%m%d}.{export_format}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            export_urls=export_links(self.request, self.export_formats),
            can_create=bool(permissions.writable_town_ids(self.request.user)),
            period_end=project_selectors.commitment_period_end(),
            **kwargs,
        )


class ProjectDetailView(WritableMixin, DetailView):
    """A project: facts and commitments, its land, its stages as a timeline, photos, 履约, history; the forms."""

    model = Project
    template_name = "clearance/projects/detail.html"

    def get_queryset(self) -> QuerySet[Project]:
        return project_selectors.project_page_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        events = list(project.events.all())
        can_write = self.can_write(project.town)
        context.update(
            allocations=list(project.allocations.all()),
            events=events,
            timeline=sorted(events, key=lambda event: (event.occurred_on, event.stage), reverse=True),
            stages=[(stage, next((e for e in events if e.stage == stage), None)) for stage in project.stages],
            can_write=can_write,
            photo_groups=selectors.photos_by_phase(project_selectors.project_photos(events)),
            history=project_selectors.project_history(project=project),
            commitment=project_selectors.commitment_reason(project),
            committed_dates=project_selectors.committed_dates(project, events),
            stage_rules=[stage_order_text(project)],
        )
        if can_write:
            next_stage = project_selectors.next_project_stage(project, (event.stage for event in events))
            context["record_form"] = ProjectEventForm(project=project, next_stage=next_stage)
            site = digits(self.request.GET.get(SITE, ""))
            initial = {"version": project.version, "site": site}
            context["land_form"] = ProjectLandForm(town=project.town, initial=initial)
            context.update(land_picker(project, chosen=site))
        return context


class ProjectCreateView(FormView):
    """A new project of a town the user writes for: ?town= names it (needless for one town); a town picker else."""

    form_class = ProjectForm
    template_name = "clearance/projects/form.html"

    def dispatch(self, request, *args, **kwargs):
        towns = list(permissions.writable_towns(request.user).order_by("display_order", "name"))
        if not towns:
            raise PermissionDenied("You may not create projects.")
        chosen = digits(request.GET.get("town", ""))
        if chosen is not None:
            self.town = get_object_or_404(Town, pk=chosen)
            if self.town not in towns:
                raise PermissionDenied("You may not create projects in this town.")
        elif len(towns) == 1:
            self.town = towns[0]
        else:
            site = digits(request.GET.get(SITE, ""))
            return render(request, "clearance/projects/town_picker.html", {"towns": towns, "site": site})
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.town}

    def get_context_data(self, **kwargs):
        return super().get_context_data(town=self.town, back_url=reverse("clearance:project_list"), **kwargs)

    def form_valid(self, form):
        try:
            project = services.project_create(town=self.town, user=self.request.user, **form.changed_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The project %(name)s was added; now give it its land.") % {"name": project.name})
        site = digits(self.request.GET.get(SITE, ""))
        return HttpResponseRedirect(project.get_absolute_url() + (f"?site={site}" if site else "") + "#land")


class ProjectWriteMixin(permissions.TownWriteRequiredMixin):
    """Writes to a project: the project of the URL, and its town for the permission check."""

    def get_permission_town(self) -> Town:
        self.project = get_object_or_404(Project.objects.select_related("town"), pk=self.kwargs["pk"])
        return self.project.town


class ProjectUpdateView(ProjectWriteMixin, FormView):
    """Edit a project on a page that carries the version it was loaded at."""

    form_class = ProjectForm
    template_name = "clearance/projects/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.project.town, "instance": self.project}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            town=self.project.town, project=self.project, back_url=self.project.get_absolute_url(), **kwargs
        )

    def form_valid(self, form):
        fields = form.changed_fields()
        try:
            project = services.project_update(
                project=self.project, expected_version=form.cleaned_data["version"], user=self.request.user, **fields
            )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=self.project, theirs=stale.current, yours=fields, fields=list(fields),
                retry_url=self.request.path, back_url=self.project.get_absolute_url(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The project %(name)s was saved.") % {"name": project.name})
        return HttpResponseRedirect(project.get_absolute_url())


class ProjectDeleteView(ProjectWriteMixin, FormView):
    """Delete a project after confirmation; the service refuses one with recorded stages."""

    form_class = ProjectDeleteForm
    template_name = "clearance/projects/confirm_delete.html"

    def get_initial(self):
        return {"version": self.project.version}

    def get_context_data(self, **kwargs):
        return super().get_context_data(project=self.project, back_url=self.project.get_absolute_url(), **kwargs)

    def form_valid(self, form):
        try:
            services.project_delete(
                project=self.project, expected_version=form.cleaned_data["version"], user=self.request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The project %(name)s was deleted.") % {"name": self.project.name})
        return HttpResponseRedirect(reverse("clearance:project_list"))

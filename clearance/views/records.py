"""The site and enterprise pages where progress is read, and the forms that create and edit sites and enterprises."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView

from .. import permissions, selectors, services
from ..forms import (
    EnterpriseForm,
    EventRecordForm,
    EventsBulkForm,
    SiteForm,
    stage_rule,
    stage_rules,
)
from ..models import Enterprise, Site, Town
from ..selectors.evaluation import evaluation_of
from ..selectors.site_reuse import site_reuse
from .register import enterprise_register, site_register
from .writing import (
    EnterpriseWriteMixin,
    SiteWriteMixin,
    WritableMixin,
    apply_service_errors,
    conflict_response,
)


TIMELINE_LENGTH = 50


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
            reuse=site_reuse(site=site, subtree=subtree, can_write=can_write),
            register=site_register(site=site, subtree=subtree, can_write=can_write),
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
            evaluation=evaluation_of(enterprise),
            register=enterprise_register(enterprise=enterprise, can_write=can_write),
        )
        if can_write:
            context["record_form"] = EventRecordForm(enterprise=enterprise)
        return context


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
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The site %(name)s was added.") % {"name": site.name})
        return HttpResponseRedirect(site.get_absolute_url())


class SiteUpdateView(SiteWriteMixin, FormView):
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
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The site %(name)s was saved.") % {"name": site.name})
        return HttpResponseRedirect(site.get_absolute_url())


class EnterpriseCreateView(SiteWriteMixin, FormView):
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
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The enterprise %(name)s was added.") % {"name": enterprise.name})
        return HttpResponseRedirect(enterprise.get_absolute_url())


class EnterpriseUpdateView(EnterpriseWriteMixin, FormView):
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
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The enterprise %(name)s was saved.") % {"name": enterprise.name})
        return HttpResponseRedirect(enterprise.get_absolute_url())

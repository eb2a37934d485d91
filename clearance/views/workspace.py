"""The officials' "my towns" workspace: their towns' sites and enterprises as sortable, exportable tables."""

from functools import cached_property

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .. import permissions, selectors
from ..filters import EnterpriseFilter, SiteFilter
from ..models import Enterprise, Site, Town
from ..tables import EnterpriseTable, SiteTable
from .tables import TableQueryMixin
from .writing import WritableMixin


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


class _WorkspaceTableView(WritableMixin, TableQueryMixin, SingleTableMixin, FilterView):
    """One table of a town's records, filtered, sorted, paginated and exportable to xlsx and CSV as filtered."""

    template_name = "clearance/workspace_table.html"
    table_pagination = {"per_page": 25}
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

    @cached_property
    def group_choices(self) -> list[tuple[int, str]]:
        return selectors.town_group_choices(town=self.town)

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "group_choices": self.group_choices}

    def get_queryset(self) -> QuerySet[Enterprise]:
        # The town's groups in the order people number them, as a rank the database sorts on (pages still paginate).
        names = [name for _, name in self.group_choices]
        return selectors.with_group_rank(selectors.workspace_enterprises(town=self.town), group_names=names)

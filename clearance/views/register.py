"""The register of order (快中求稳): its list, recording, editing and resolving an item; its dashboard and bulletin panel."""

from dataclasses import dataclass
from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.generic import FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .. import permissions, services
from ..choices import RegisterKind
from ..models import Enterprise, RegisterItem, Site, Town
from ..register_forms import STATUS_OPEN, RegisterFilter, RegisterItemEditForm, RegisterItemForm, RegisterResolveForm
from ..selectors import register as selectors
from ..tables.one_pass import url_maker
from ..tables.register import RegisterTable
from ..tables.town_rows import register_cells, register_town_rows
from .evaluation import export_links
from .tables import TableQueryMixin
from .writing import apply_service_errors, conflict_response

READ_ONLY = ["get", "head", "options"]
SUBJECTS = ("site", "enterprise")


# What the dashboard, the bulletin and the record pages show (no queries here but the selectors') -----------------


def _row(row: selectors.RegisterRow) -> dict:
    return {
        "town": row.town,
        "total": row.total,
        "kinds": [row.kinds[kind] for kind in selectors.KINDS],
    }


def register_panel(*, year: int, month: int) -> dict:
    """Return the register's counts for the period YEAR-MONTH as the dashboard and the bulletin show them: the city
    and each town, in all and by kind (selectors.register.register_counts, one query)."""
    counts = selectors.register_counts(year=year, month=month)
    return {
        # The table's column groups: all items, then each kind.
        "groups": [pgettext("register", "All"), *(label for _value, label in RegisterKind.choices)],
        "city": _row(counts.city),
        "towns": [_row(row) for row in counts.towns],
        # The dashboard's table, built in one pass (a row of nine counts per town).
        "town_rows": register_town_rows(counts.towns),
        "city_cells": register_cells(counts.city),
        "open_url": f"{reverse('clearance:register')}?status={STATUS_OPEN}",
    }


@dataclass(frozen=True)
class OpenItemLine:
    """An open item as the list of a page shows it, every text made once (the include only places them)."""

    pk: int
    kind: str
    subject: str
    subject_url: str
    raised: str
    group: str
    description: str
    edit_url: str


def _open_item_lines(items: list[selectors.OpenItem], *, editable: bool) -> list[OpenItemLine]:
    # Each address reversed once for the list (url_maker), each kind's name looked up once.
    site_url, enterprise_url = url_maker("clearance:site_detail"), url_maker("clearance:enterprise_detail")
    edit_url = url_maker("clearance:register_item_update") if editable else None
    kinds, raised = dict(RegisterKind.choices), _("raised %(date)s")
    return [
        OpenItemLine(
            pk=item.pk,
            kind=str(kinds[item.kind]),
            subject=item.enterprise_name if item.enterprise_id else item.site_name,
            subject_url=mark_safe(enterprise_url(item.enterprise_id) if item.enterprise_id else site_url(item.site_id)),
            raised=raised % {"date": item.raised_on.isoformat()},
            group=item.group_name or "",
            description=Truncator(item.description).chars(140),
            edit_url=mark_safe(edit_url(item.pk)) if edit_url else "",
        )
        for item in items
    ]


def open_items_section(items: list[selectors.OpenItem], *, can_write: bool, new_query: str = "",
                       limit: int | None = None, more_query: str = "") -> dict:
    """Return the open items of a page (a site, an enterprise, a town) as its include shows them: each item's line
    with an address to edit it where the page may record items (CAN_WRITE, NEW_QUERY)."""
    shown = items if limit is None else items[:limit]
    register_url = reverse("clearance:register")
    return {
        "items": _open_item_lines(shown, editable=can_write and bool(new_query)),
        "more": limit is not None and len(items) > limit,
        "list_url": f"{register_url}?status={STATUS_OPEN}{'&' + more_query if more_query else ''}",
        "new_url": f"{reverse('clearance:register_item_create')}?{new_query}" if can_write and new_query else "",
    }


def site_register(*, site: Site, subtree, can_write: bool) -> dict:
    """The site page's open items: the site's, its parcels' and their enterprises' (one query)."""
    return open_items_section(selectors.site_open_items(subtree=subtree), can_write=can_write, new_query=f"site={site.pk}")


def enterprise_register(*, enterprise: Enterprise, can_write: bool) -> dict:
    """The enterprise page's open items (one query)."""
    return open_items_section(selectors.enterprise_open_items(enterprise=enterprise), can_write=can_write,
                              new_query=f"enterprise={enterprise.pk}")


def town_register(*, town: Town) -> dict:
    """The town page's open items, the oldest first, at most selectors.TOWN_OPEN_SHOWN (one query)."""
    return open_items_section(selectors.town_open_items(town=town), can_write=False,
                              limit=selectors.TOWN_OPEN_SHOWN, more_query=f"town={town.pk}")


# Views ---------------------------------------------------------------------------------------------------------


class RegisterListView(TableQueryMixin, SingleTableMixin, FilterView):
    """Every item of the register, filtered by town, kind, open or resolved and subject; exportable as filtered."""

    http_method_names = READ_ONLY
    template_name = "clearance/register/list.html"
    table_class = RegisterTable
    filterset_class = RegisterFilter
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return selectors.register_items()

    def get_table_kwargs(self):
        return {"writable_town_ids": permissions.writable_town_ids(self.request.user)}

    def get_export_filename(self, export_format):
        return f"register-{timezone.localdate():%Y%m%d}.{export_format}"

    def get_dataset_kwargs(self):
        return {"title": _("Register of order")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(export_urls=export_links(self.request, self.export_formats), **kwargs)


def _subject_problem(query) -> str | None:
    """Return why QUERY names no subject: it must give ?site= or ?enterprise=, a number, and not both."""
    given = [name for name in SUBJECTS if query.get(name, "").strip()]
    if len(given) != 1:
        return _("Open this page from a site or an enterprise: the address must name one of them.")
    text = query[given[0]].strip()
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        return _("The site or enterprise in the address is not a number.")
    return None


class RegisterItemCreateView(permissions.TownWriteRequiredMixin, FormView):
    """Record an item on the site (?site=) or the enterprise (?enterprise=) of the address, for its town's task force."""

    form_class = RegisterItemForm
    template_name = "clearance/register/form.html"

    def dispatch(self, request, *args, **kwargs):
        problem = _subject_problem(request.GET)
        if problem:
            return render(request, "clearance/bad_query.html", {"error": problem}, status=400)
        return super().dispatch(request, *args, **kwargs)

    def get_permission_town(self) -> Town:
        if self.request.GET.get("site", "").strip():
            self.subject_kwargs = {"site": get_object_or_404(Site.objects.select_related("town"),
                                                             pk=int(self.request.GET["site"]))}
        else:
            self.subject_kwargs = {"enterprise": get_object_or_404(Enterprise.objects.select_related("town"),
                                                                   pk=int(self.request.GET["enterprise"]))}
        self.subject = next(iter(self.subject_kwargs.values()))
        return self.subject.town

    def get_initial(self):
        return {"raised_on": timezone.localdate()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.subject.town}

    def get_context_data(self, **kwargs):
        return super().get_context_data(subject=self.subject, back_url=self.subject.get_absolute_url(), **kwargs)

    def form_valid(self, form):
        try:
            item = services.register_item_create(
                user=self.request.user, note=form.cleaned_data["note"], **self.subject_kwargs, **form.item_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(kind)s recorded on %(subject)s.")
                         % {"kind": item.get_kind_display(), "subject": self.subject})
        return HttpResponseRedirect(self.subject.get_absolute_url() + "#register")


class RegisterItemUpdateView(permissions.TownWriteRequiredMixin, FormView):
    """Edit an item, or mark an open one resolved (a POST with `resolve`), on a page carrying its version."""

    form_class = RegisterItemEditForm
    template_name = "clearance/register/edit.html"

    def get_permission_town(self) -> Town:
        self.item = get_object_or_404(
            RegisterItem.objects.select_related("town", "site", "enterprise", "responsible_group"), pk=self.kwargs["pk"]
        )
        return self.item.town

    @cached_property
    def resolving(self) -> bool:
        return self.request.method == "POST" and "resolve" in self.request.POST

    def get_form_class(self):
        return RegisterResolveForm if self.resolving else RegisterItemEditForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.resolving:
            return kwargs
        return {**kwargs, "town": self.item.town, "item": self.item}

    def edit_initial(self) -> dict:
        item = self.item
        return {"version": item.version, "kind": item.kind, "raised_on": item.raised_on,
                "description": item.description, "responsible_group": item.responsible_group_id,
                "resolved_on": item.resolved_on, "resolution": item.resolution}

    def get_initial(self):
        return {"version": self.item.version} if self.resolving else self.edit_initial()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.item
        form = context["form"]
        if self.resolving:
            context["resolve_form"] = form
            context["form"] = RegisterItemEditForm(town=item.town, item=item, initial=self.edit_initial())
        elif item.is_open:
            context["resolve_form"] = RegisterResolveForm(
                initial={"version": item.version, "resolved_on": timezone.localdate()}
            )
        context.update(item=item, subject=item.subject, back_url=item.subject.get_absolute_url())
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        item = self.item
        back = item.subject.get_absolute_url()
        try:
            if self.resolving:
                fields = {"resolved_on": data["resolved_on"], "resolution": data["resolution"]}
                saved = services.register_item_resolve(
                    item=item, expected_version=data["version"], user=self.request.user, note=data["note"], **fields
                )
            else:
                fields = form.item_fields()
                saved = services.register_item_update(
                    item=item, expected_version=data["version"], user=self.request.user, note=data["note"], **fields
                )
        except services.StaleEditError as stale:
            return conflict_response(
                self.request, record=item, theirs=stale.current, yours=fields, fields=list(fields),
                retry_url=self.request.path, back_url=back,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        if self.resolving:
            message = _("%(item)s was marked resolved on %(date)s.") % {
                "item": saved.get_kind_display(), "date": date_format(saved.resolved_on)}
        else:
            message = _("The item was saved: %(item)s.") % {"item": saved}
        messages.success(self.request, message)
        return HttpResponseRedirect(back + "#register")

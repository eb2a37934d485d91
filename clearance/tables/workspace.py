"""The workspace's tables: a town's sites and enterprises, sortable, filtered, exportable.

Each column also says how to build its cells in one pass (cell_html, read by tables/one_pass.py): the town page and
the workspace, what officials open on a phone, show 25 or 50 rows of eight columns, and the generic path costs each
cell an accessor walk, a signature inspection and the locale machinery. tests/views/test_tables_one_pass.py holds
both renderings equal.
"""


import django_tables2 as tables
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _

from ..models import Enterprise, Site
from ..templatetags.clearance_tags import stage_label
from .one_pass import page_urls, value_cells


class _StageColumn(tables.Column):
    """A stage stored as its integer, shown by its label (sorted by the integer: the campaign order)."""

    def render(self, value):
        return stage_label(value) or _("No progress yet")

    def cell_html(self, bound, table):
        labels = {}  # each stage's label, escaped once

        def text(value, record):
            if value not in labels:
                labels[value] = conditional_escape(self.render(value))
            return labels[value]

        return value_cells(bound, text)


class _DeadlineColumn(tables.Column):
    """A deadline, marked when overdue (the row's `is_overdue` annotation)."""

    def render(self, value, record):
        text = value.isoformat()
        if getattr(record, "is_overdue", False):
            return format_html('<span class="badge text-bg-danger" data-overdue>{} · {}</span>', text, _("Overdue"))
        return text

    def value(self, value):
        return value.isoformat() if value else ""

    def cell_html(self, bound, table):
        overdue = conditional_escape(_("Overdue"))

        def text(value, record):
            if getattr(record, "is_overdue", False):
                return f'<span class="badge text-bg-danger" data-overdue>{value.isoformat()} · {overdue}</span>'
            return value.isoformat()

        return value_cells(bound, text)


class _LinkColumn(tables.Column):
    """A name linking to its page: the row's own (a text value) or the related row's shown (linkify=True)."""

    def __init__(self, **kwargs):
        super().__init__(linkify=True, **kwargs)

    def cell_html(self, bound, table):
        if self.link.attrs:
            return None

        url_of = page_urls()

        def text(value, record):
            # As django-tables2's LinkTransform: the value's own page where it has one, else the row's.
            target = value if hasattr(value, "get_absolute_url") else record
            return f'<a href="{url_of(target)}">{conditional_escape(value)}</a>'

        return value_cells(bound, text)


class _CountColumn(tables.Column):
    """A whole number (never grouped: USE_THOUSAND_SEPARATOR is off, as {{ value }} shows it)."""

    def cell_html(self, bound, table):
        return value_cells(bound, lambda value, record: str(value))


class SiteTable(tables.Table):
    """A town's sites with their progress, counting the enterprises on child parcels too."""

    name = _LinkColumn(verbose_name=_("Site"), attrs={"td": {"class": "cell-name"}})
    parent = _LinkColumn(
        verbose_name=_("Containing area"), order_by=("parent__name",), attrs={"td": {"class": "cell-wrap"}}
    )
    area_mu = tables.Column(verbose_name=_("Area (mu)"), attrs={"td": {"class": "text-end text-nowrap"}})
    enterprise_count = _CountColumn(verbose_name=_("Enterprises"), attrs={"td": {"class": "text-end"}})
    signed_count = _CountColumn(verbose_name=_("Signed"), attrs={"td": {"class": "text-end"}})
    vacated_count = _CountColumn(verbose_name=_("Vacated"), attrs={"td": {"class": "text-end"}})
    stage = _StageColumn(verbose_name=_("Stage"), attrs={"td": {"class": "text-nowrap"}})
    deadline = _DeadlineColumn(verbose_name=_("Deadline"), attrs={"td": {"class": "text-nowrap"}})

    class Meta:
        model = Site
        # The stage right after the name: on a 375 px phone both are in view without scrolling sideways.
        fields = ("name", "stage", "parent", "area_mu", "enterprise_count", "signed_count", "vacated_count", "deadline")
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "sites"}
        order_by = ("name",)
        empty_text = _("No sites match.")

    def value_area_mu(self, value):
        return value


class EnterpriseTable(tables.Table):
    """A town's enterprises with their stage, plan and categories."""

    name = _LinkColumn(verbose_name=_("Enterprise"), attrs={"td": {"class": "cell-name"}})
    site = _LinkColumn(verbose_name=_("Site"), order_by=("site__name",), attrs={"td": {"class": "cell-wrap"}})
    categories = tables.Column(verbose_name=_("Categories"), empty_values=(), orderable=False)
    disposal = tables.Column(verbose_name=_("Disposal"))
    stage = _StageColumn(verbose_name=_("Stage"), attrs={"td": {"class": "text-nowrap"}})
    # By the group's rank in the order people number them (一 … 十三), annotated by the view; its enterprises by name.
    responsible_group = tables.Column(verbose_name=_("Responsible attack group"), order_by=("group_rank", "name"))
    plan_deadline = _DeadlineColumn(verbose_name=_("Plan deadline"), attrs={"td": {"class": "text-nowrap"}})
    energy_freed_tce = tables.Column(verbose_name=_("Energy freed (tce)"), attrs={"td": {"class": "text-end"}})
    credit_code = tables.Column(verbose_name=_("Unified social credit code"), visible=False)

    class Meta:
        model = Enterprise
        # The stage right after the name, as in SiteTable.
        fields = (
            "name", "stage", "site", "categories", "disposal", "responsible_group", "plan_deadline",
            "energy_freed_tce", "credit_code",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "enterprises"}
        order_by = ("name",)
        empty_text = _("No enterprises match.")

    def render_categories(self, record):
        return "、".join(str(category.label) for category in record.categories) or "—"

    def value_categories(self, record):
        return "、".join(str(category.label) for category in record.categories)

    def value_energy_freed_tce(self, value):
        return value

"""The evaluation's tables: a year's indicator rows with scores and classes, and the candidates for clearance."""

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import IndicatorRow
from ..templatetags.clearance_tags import grade_badge
from .columns import TwoDecimalsColumn, number_attrs
from .one_pass import link_cells, template_text, value_cells


def grade_text(grade: str, *, exempt: bool = False) -> str:
    """The class as an export cell: the letter, 不定等级, or empty."""
    return grade or (str(_("Not graded")) if exempt else "")


def _nulls_last(name: str):
    """A table's order_<column> method: by NAME, rows without a value last either way, ties by enterprise name (the
    row's copy of it) and row."""

    def order(table, queryset, is_descending):
        field = F(name)
        return queryset.order_by(field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True),
                                 "enterprise_name", "pk"), True

    return order


class _YesNoColumn(tables.BooleanColumn):
    def render(self, value, record, bound_column):
        return _("Yes") if value else _("No")

    def value(self, value):
        return str(_("Yes") if value else _("No"))


def _card_url(record) -> str:
    return reverse("clearance:evaluation_card", args=[record.enterprise_id])


class EvaluationTable(tables.Table):
    """A year's evaluated enterprises: figures per 亩, total, position, class, whether in clearance or a candidate."""

    name = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name", linkify=_card_url,
                         order_by=("enterprise_name", "pk"), attrs={"td": {"class": "cell-name"}})
    town = tables.Column(verbose_name=_("Township"), accessor="enterprise__town__name",
                         order_by=("town__display_order", "town__name", "enterprise_name", "pk"))
    size = tables.Column(verbose_name=_("Size class"))
    tax_per_mu = TwoDecimalsColumn(verbose_name=_("Tax per mu (10k yuan/mu)"))
    value_added_per_mu = TwoDecimalsColumn(verbose_name=_("Value added per mu (10k yuan/mu)"))
    total = TwoDecimalsColumn(verbose_name=_("Score"))
    position = tables.Column(verbose_name=_("Position"), attrs=number_attrs())
    grade = tables.Column(verbose_name=pgettext_lazy("evaluation", "Class"), empty_values=(),
                          attrs={"td": {"class": "text-center"}})
    in_clearance = _YesNoColumn(verbose_name=_("In clearance"))
    candidate = _YesNoColumn(verbose_name=_("Candidate for clearance"))

    class Meta:
        model = IndicatorRow
        fields = ("name", "town", "size", "tax_per_mu", "value_added_per_mu", "total", "position", "grade",
                  "in_clearance", "candidate")
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "evaluation"}
        empty_text = _("No enterprises match.")

    def render_position(self, value, record):
        return format_html('{}<span class="text-secondary">/{}</span>', value, record.graded_count)

    def value_position(self, value):
        return value

    order_tax_per_mu = _nulls_last("tax_per_mu")
    order_value_added_per_mu = _nulls_last("value_added_per_mu")
    order_total = _nulls_last("total")
    order_position = _nulls_last("position")

    def render_grade(self, value, record):
        return grade_badge(value, exempt=record.exempt)

    def value_grade(self, value, record):
        return grade_text(value, exempt=record.exempt)

    # The body's cells in one pass (tables/one_pass.py), each what the render method above gives, worked out once a
    # page: the name's link alone (a reverse() a row through django-tables2) took 10 ms of the table's 29 ms.

    def cell_html_name(self, bound):
        return link_cells(bound, "clearance:evaluation_card", lambda record: record.enterprise_id)

    def cell_html_town(self, bound):
        return value_cells(bound, lambda value, record: template_text(value))

    def cell_html_position(self, bound):
        return value_cells(
            bound, lambda value, record: f'{value}<span class="text-secondary">/{record.graded_count}</span>')

    def cell_html_grade(self, bound):
        badges = {}  # each (class, exempt)'s badge, made once

        def badge(value, record):
            key = (value, record.exempt)
            if key not in badges:
                badges[key] = template_text(self.render_grade(value, record))
            return badges[key]

        return value_cells(bound, badge)


class CandidateTable(tables.Table):
    """The candidates for clearance of a year, per town, lowest total first; the action for those who may write."""

    town = tables.Column(verbose_name=_("Township"), accessor="enterprise__town__name", orderable=False)
    name = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name", linkify=_card_url, orderable=False,
                         attrs={"td": {"class": "cell-name"}})
    total = TwoDecimalsColumn(verbose_name=_("Score"), orderable=False)
    land_mu = TwoDecimalsColumn(verbose_name=_("Land (mu)"), orderable=False)
    energy_tce = TwoDecimalsColumn(verbose_name=_("Energy use (tce)"), orderable=False)
    grade = tables.Column(verbose_name=_("Class this year"), orderable=False, attrs={"td": {"class": "text-center"}})
    previous_grade = tables.Column(verbose_name=_("Class last year"), empty_values=(), orderable=False,
                                   attrs={"td": {"class": "text-center"}})
    action = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta:
        model = IndicatorRow
        fields = ("town", "name", "total", "land_mu", "energy_tce", "grade", "previous_grade", "action")
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "candidates"}
        empty_text = _("No candidates for clearance.")

    def __init__(self, *args, writable_town_ids=frozenset(), **kwargs):
        self.writable_town_ids = writable_town_ids
        super().__init__(*args, **kwargs)

    def render_grade(self, value, record):
        return grade_badge(value, exempt=record.exempt)

    def render_previous_grade(self, value):
        return grade_badge(value)

    def render_action(self, record):
        if record.enterprise.town_id not in self.writable_town_ids:
            return ""
        return format_html('<a class="btn btn-sm btn-primary text-nowrap" href="{}" data-open-plan>{}</a>',
                           reverse("clearance:evaluation_plan", args=[record.enterprise_id]), _("Open a clearance plan"))
